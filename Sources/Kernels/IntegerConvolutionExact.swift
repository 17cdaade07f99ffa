import GNKernelInterface

/// Convolution and linear layers with int8 weights on the FP32 vector units of CPUs without VNNI: the
/// integers and the weights as floats, multiplied and added as floats. Every product `q · w` and every
/// partial sum is then an integer of magnitude at most `fan-in × 128 × q_max`; when that is at most 2²⁴
/// (the query says `q_max`), every one is exact in binary32, in any order, fused or not — so the sums
/// are the integer sums of `IntegerConvolution`, and the results equal it bit for bit, at the speed of
/// the FP32 kernels. Layers past the bound keep `IntegerConvolution`.
///
/// Patches of floats, weights packed once per session as floats per vector of 16 output channels
/// (`[vector][patch element][16]`), and tiles as `IntegerTiling` lays them out; the tile shapes are the
/// variant's registers' (those of `ConvolutionTiled`'s narrow and wide tiles). SIMD and unsafe pointers
/// on purpose: the hot loop.
enum IntegerConvolutionExact {
    /// Whether this build has the exact float tiles: every build with the tiled kernels but the x86-64
    /// baseline (SSE2, CPUs from before 2013), which takes the kernels microcontrollers do
    /// (`IntegerConvolutionPairs`, else the portable one), so that it plans int8 sessions as they do: the
    /// firmware's arena is sized from its plan (examples/embedded/make_data.py).
    static var available: Bool {
        #if arch(x86_64) && !GN_FMA
        return false
        #else
        return TiledKernels.available
        #endif
    }

    /// The kernel for an int8 layer whose sums stay within 2²⁴, or nil.
    static func choice(_ query: KernelQuery, linear: Bool) -> KernelChoice? {
        guard available, let sum = query.largestIntegerSum, sum <= 1 << 24 else { return nil }
        // Few pixels (a linear layer of a small batch): tiles of one, which read the weights once.
        if query.batch * query.outputPixelsPerSample < 4 {
            return choice(TileShape<1, 4>.self, query, name: linear ? "linear.exact1x64" : "conv2d.exact1x64") { job, worker, begin, end in
                IntegerConvolutionExact.run(TileShape<1, 4>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionExact.pack(TileShape<1, 4>.self, job, into: destination)
            }
        }
        #if GN_AVX512
        // 32 registers of 16 floats: 8 pixels × 32 channels, or 10 × 16 for a layer of 16 channels or fewer.
        if query.geometry.outputChannels <= 16 {
            return choice(TileShape<10, 1>.self, query, name: linear ? "linear.exact10x16" : "conv2d.exact10x16") { job, worker, begin, end in
                IntegerConvolutionExact.run(TileShape<10, 1>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionExact.pack(TileShape<10, 1>.self, job, into: destination)
            }
        }
        return choice(TileShape<8, 2>.self, query, name: linear ? "linear.exact8x32" : "conv2d.exact8x32") { job, worker, begin, end in
            IntegerConvolutionExact.run(TileShape<8, 2>.self, job, worker: worker, tasks: begin..<end)
        } pack: { job, destination in
            IntegerConvolutionExact.pack(TileShape<8, 2>.self, job, into: destination)
        }
        #elseif GN_FMA
        return choice(TileShape<6, 1>.self, query, name: linear ? "linear.exact6x16" : "conv2d.exact6x16") { job, worker, begin, end in
            IntegerConvolutionExact.run(TileShape<6, 1>.self, job, worker: worker, tasks: begin..<end)
        } pack: { job, destination in
            IntegerConvolutionExact.pack(TileShape<6, 1>.self, job, into: destination)
        }
        #else
        return choice(TileShape<3, 1>.self, query, name: linear ? "linear.exact3x16" : "conv2d.exact3x16") { job, worker, begin, end in
            IntegerConvolutionExact.run(TileShape<3, 1>.self, job, worker: worker, tasks: begin..<end)
        } pack: { job, destination in
            IntegerConvolutionExact.pack(TileShape<3, 1>.self, job, into: destination)
        }
        #endif
    }

    /// Floats of one pixel's patch: every tap's channels.
    @inline(__always)
    static func patchFloats(_ g: WindowGeometry) -> Int { g.kernelHeight * g.kernelWidth * g.inputChannels }

    private static func choice<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ query: KernelQuery,
                                                       name: StaticString, _ function: TaskFunction,
                                                       pack: PackFunction) -> KernelChoice {
        let g = query.geometry
        return KernelChoice(function: function, split: IntegerTiling.split(query, pixels: P, vectors: V),
                            scratchFloats: IntegerTiling.scratchFloats(pixels: P, patchBytes: 4 * patchFloats(g)), name: name,
                            packedWeightBytes: IntegerTiling.blocks(g, vectors: V) * V * 16 * patchFloats(g) * 4,
                            packWeights: pack)
    }

    /// Packs `[tap][c][o]` int8 weights into floats `[vector][tap · Cin + c][16]`, vectors padded with
    /// zeros to a multiple of V.
    private static func pack<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ job: UnsafeRawPointer,
                                                     into destination: UnsafeMutableRawPointer) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry, weights = arguments.integerWeights!
        let depth = patchFloats(g)
        let vectors = IntegerTiling.blocks(g, vectors: V) * V
        let floats = destination.bindMemory(to: Float.self, capacity: vectors * depth * 16)
        floats.update(repeating: 0, count: vectors * depth * 16)
        for element in 0..<depth {
            for output in 0..<g.outputChannels {
                floats[((output / 16) * depth + element) * 16 + output % 16] = Float(Int(truncatingIfNeeded: weights[element * g.outputChannels + output]))
            }
        }
    }

    private static func run<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ job: UnsafeRawPointer, worker: Int,
                                                    tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let reciprocal = arguments.inputReciprocal
        IntegerTiling.run(arguments, worker: worker, tasks: tasks, pixels: P, vectors: V, patchElements: patchFloats(g),
                          of: Float.self) { pixel, patch in
            // The window's integers as floats: from a lean session's bytes, or recovered from the floats.
            if arguments.inputHoldsIntegers {
                IntegerTiling.makePatch(arguments, input: arguments.inputIntegers, pixel: pixel, into: patch,
                                        stride: g.inputChannels, zero: 0) { bytes, floats in
                    for channel in 0..<g.inputChannels { floats[channel] = Float(Int(bytes[channel])) }
                }
                return
            }
            // SIMD on purpose: 16 channels at a time.
            IntegerTiling.makePatch(arguments, input: arguments.input, pixel: pixel, into: patch, stride: g.inputChannels,
                                    zero: 0) { values, floats in
                var channel = 0
                while channel + 16 <= g.inputChannels {
                    // `IntegerArithmetic.recover`, 16 values at once, the integers kept as floats.
                    (SIMD16<Float>.load(values + channel) * reciprocal + 0.5).rounded(.towardZero).store(floats + channel)
                    channel += 16
                }
                while channel < g.inputChannels {
                    floats[channel] = Float(Int(truncatingIfNeeded: IntegerArithmetic.recover(values[channel], reciprocal: reciprocal)))
                    channel += 1
                }
            }
        } tile: { block, pixels, patches in
            tile(shape, arguments, block: block, pixels: pixels, patches: patches)
        }
    }

    /// One tile: output pixels `pixels` (at most P), whose patches start at `patches`, × the V vectors
    /// of block `block`.
    @inline(__always)
    private static func tile<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ arguments: KernelArguments,
                                                     block: Int, pixels: Range<Int>, patches: UnsafeMutablePointer<Float>) {
        let depth = patchFloats(arguments.geometry)
        let weights = arguments.packedWeights!.assumingMemoryBound(to: Float.self)
        // Pointers that advance element by element: the sums then stay in registers.
        var stream = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
        for vector in 0..<V { stream[vector] = weights + (block * V + vector) * depth * 16 }
        var inputs = InlineArray<P, UnsafePointer<Float>>(repeating: UnsafePointer(patches))
        for index in 0..<P { inputs[index] = UnsafePointer(patches + index * depth) }
        var sums = InlineArray<P, InlineArray<V, SIMD16<Float>>>(repeating: InlineArray(repeating: SIMD16<Float>()))
        for _ in 0..<depth {
            var weight = InlineArray<V, SIMD16<Float>>(repeating: SIMD16<Float>())
            for vector in 0..<V {
                weight[vector] = SIMD16<Float>.load(stream[vector])
                stream[vector] += 16
            }
            for index in 0..<P {
                let value = SIMD16<Float>(repeating: inputs[index].pointee)
                inputs[index] += 1
                for vector in 0..<V { sums[index][vector] = multiplyAdd(sums[index][vector], value, weight[vector]) }
            }
        }
        IntegerTiling.store(arguments, block: block, pixels: pixels, vectors: V) { index, vector in sums[index][vector] }
    }
}
