#if GN_FMA
import GNIntrinsics
import GNKernelInterface

/// Convolution and linear layers with int8 weights on x86-64's byte dot products (`DotProduct`): on
/// AVX-512 VNNI and AVX-VNNI, `vpdpbusd` multiplies 4 unsigned bytes (the input integers) by 4 signed
/// bytes (the weights) and adds the 4 products to an int32, in 16 lanes at once on AVX-512 (64
/// multiply-accumulates per instruction, four times an FP32 multiply-add's), 8 on AVX-VNNI; without
/// VNNI, `vpmaddubsw`, `vpmaddwd` and `vpaddd` do the same in three instructions, exact for inputs up to
/// 127. The semantics are `IntegerConvolution`'s (docs/semantics.md, "Integer layers"), and so are the
/// results, bit for bit: integer sums are exact in any order, and the conversion to float is the same.
///
/// - Inputs: each output pixel's window becomes a *patch* of bytes in the thread's scratch, tap by tap,
///   the channels of a tap padded to a multiple of 4, taps on padding zero. The integers must be at
///   most `DotProduct.largestInput`; layers whose inputs may be larger (pooled counts of a large τ)
///   keep the other kernels.
/// - Weights: packed when the session is created (`packWeights`), per vector of 16 output channels, as
///   `[group of 4 patch bytes][16 channels][4 bytes]`: one 64-byte load per group and vector.
/// - A tile of P pixels × V vectors keeps its P·V sums in registers while the loop runs over the
///   groups: V weight loads and P broadcasts of 4 patch bytes feed P·V dot products. Tasks and tiles
///   are `IntegerTiling`'s.
///
/// Intrinsics of the toolchain's clang headers (GNIntrinsics); `DotProduct` holds what differs between
/// the instruction sets.
enum IntegerConvolutionDot {
    /// The kernel for an int8 layer whose input integers are at most `DotProduct.largestInput`, or nil.
    static func choice(_ query: KernelQuery, linear: Bool) -> KernelChoice? {
        guard query.largestInputInteger <= DotProduct.largestInput else { return nil }
        let pixels = query.batch * query.outputPixelsPerSample
        #if !GN_AVX512
        // 16 registers of 8 int32, two per vector of 16 channels: 6 pixels × 16 channels (12 sums, 2
        // weights, a broadcast), or for few pixels 1 × 32.
        if pixels < 6 {
            return choice(TileShape<1, 2>.self, query, name: linear ? "linear.dot1x32" : "conv2d.dot1x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 2>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(TileShape<1, 2>.self, job, into: destination)
            }
        }
        return choice(TileShape<6, 1>.self, query, name: linear ? "linear.dot6x16" : "conv2d.dot6x16") { job, worker, begin, end in
            IntegerConvolutionDot.run(TileShape<6, 1>.self, job, worker: worker, tasks: begin..<end)
        } pack: { job, destination in
            IntegerConvolutionDot.pack(TileShape<6, 1>.self, job, into: destination)
        }
        #else
        // Shapes: as many sums as 32 registers hold beside the weights; few pixels (a linear layer of a
        // small batch) in tiles of one, which read the weights once.
        let vectors = (query.geometry.outputChannels + 15) / 16
        if pixels < 6 {
            return choice(TileShape<1, 4>.self, query, name: linear ? "linear.dot1x64" : "conv2d.dot1x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 4>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(TileShape<1, 4>.self, job, into: destination)
            }
        }
        if vectors >= 4 {
            return choice(TileShape<6, 4>.self, query, name: linear ? "linear.dot6x64" : "conv2d.dot6x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<6, 4>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(TileShape<6, 4>.self, job, into: destination)
            }
        }
        if vectors >= 2 {
            return choice(TileShape<8, 2>.self, query, name: linear ? "linear.dot8x32" : "conv2d.dot8x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<8, 2>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(TileShape<8, 2>.self, job, into: destination)
            }
        }
        return choice(TileShape<12, 1>.self, query, name: linear ? "linear.dot12x16" : "conv2d.dot12x16") { job, worker, begin, end in
            IntegerConvolutionDot.run(TileShape<12, 1>.self, job, worker: worker, tasks: begin..<end)
        } pack: { job, destination in
            IntegerConvolutionDot.pack(TileShape<12, 1>.self, job, into: destination)
        }
        #endif
    }

    /// A tap's channels in a patch: padded to a multiple of 4, the bytes one `vpdpbusd` lane reads.
    @inline(__always)
    static func paddedChannels(_ g: WindowGeometry) -> Int { (g.inputChannels + 3) / 4 * 4 }

    /// Bytes of one pixel's patch: every tap's padded channels.
    @inline(__always)
    static func patchBytes(_ g: WindowGeometry) -> Int { g.kernelHeight * g.kernelWidth * paddedChannels(g) }

    private static func choice<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ query: KernelQuery,
                                                       name: StaticString, _ function: TaskFunction,
                                                       pack: PackFunction) -> KernelChoice {
        let g = query.geometry
        return KernelChoice(function: function, split: IntegerTiling.split(query, pixels: P, vectors: V),
                            scratchFloats: IntegerTiling.scratchFloats(pixels: P, patchBytes: patchBytes(g)), name: name,
                            packedWeightBytes: packedBytes(g, vectors: V), packWeights: pack)
    }

    /// Bytes of the weights `pack` writes for tiles of `vectors` vectors.
    static func packedBytes(_ g: WindowGeometry, vectors: Int) -> Int {
        IntegerTiling.blocks(g, vectors: vectors) * vectors * 16 * patchBytes(g)
    }

    /// Packs `[tap][c][o]` int8 weights into `[vector][group of 4 patch bytes][16][4]`, vectors padded
    /// with zeros to a multiple of V, the channels of a tap to a multiple of 4 (`IntegerRowsDot` reads
    /// the same layout).
    static func pack<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ job: UnsafeRawPointer,
                                                     into destination: UnsafeMutableRawPointer) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry, weights = arguments.integerWeights!
        let channels = paddedChannels(g), groups = patchBytes(g) / 4
        let vectors = IntegerTiling.blocks(g, vectors: V) * V
        let bytes = destination.bindMemory(to: Int8.self, capacity: vectors * groups * 64)
        bytes.update(repeating: 0, count: vectors * groups * 64)
        for output in 0..<g.outputChannels {
            for tap in 0..<g.kernelHeight * g.kernelWidth {
                for channel in 0..<g.inputChannels {
                    let byte = tap * channels + channel
                    bytes[((output / 16) * groups + byte / 4) * 64 + (output % 16) * 4 + byte % 4] =
                        weights[(tap * g.inputChannels + channel) * g.outputChannels + output]
                }
            }
        }
    }

    private static func run<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ job: UnsafeRawPointer, worker: Int,
                                                    tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let reciprocal = arguments.inputReciprocal
        IntegerTiling.run(arguments, worker: worker, tasks: tasks, pixels: P, vectors: V, patchElements: patchBytes(g),
                          of: UInt8.self) { pixel, patch in
            // The window's integers as bytes. SIMD on purpose: `DotProduct.lanes` channels at a time.
            IntegerTiling.makePatch(arguments, pixel: pixel, into: patch, stride: paddedChannels(g), zero: 0) { values, bytes in
                var channel = 0
                while channel + DotProduct.lanes <= g.inputChannels {
                    DotProduct.recover(values + channel, reciprocal: reciprocal, into: bytes + channel)
                    channel += DotProduct.lanes
                }
                while channel < g.inputChannels {
                    bytes[channel] = UInt8(truncatingIfNeeded: IntegerArithmetic.recover(values[channel], reciprocal: reciprocal))
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
                                                     block: Int, pixels: Range<Int>, patches: UnsafeMutablePointer<UInt8>) {
        let patch = patchBytes(arguments.geometry)
        let groups = patch / 4
        let weights = arguments.packedWeights!
        // Pointers that advance, group by group, with no arithmetic in the loop but their increments:
        // the sums then stay in registers.
        var stream = InlineArray<V, UnsafeRawPointer>(repeating: weights)
        for vector in 0..<V { stream[vector] = weights + (block * V + vector) * groups * 64 }
        var inputs = InlineArray<P, UnsafeRawPointer>(repeating: UnsafeRawPointer(patches))
        for index in 0..<P { inputs[index] = UnsafeRawPointer(patches + index * patch) }
        var sums = InlineArray<P, InlineArray<V, DotProduct>>(repeating: InlineArray(repeating: DotProduct()))
        for _ in 0..<groups {
            var weight = InlineArray<V, DotProduct>(repeating: DotProduct())
            for vector in 0..<V {
                weight[vector] = DotProduct(loading: stream[vector])
                stream[vector] += 64
            }
            for index in 0..<P {
                let value = DotProduct.Broadcast(inputs[index].loadUnaligned(as: Int32.self))
                inputs[index] += 4
                for vector in 0..<V { sums[index][vector].add(value, weight[vector]) }
            }
        }
        IntegerTiling.store(arguments, block: block, pixels: pixels, vectors: V) { index, vector in
            SIMD16<Float>(sums[index][vector].integers)
        }
    }
}

/// 16 int32 lanes of byte dot-product sums (or 64 signed weight bytes): one zmm register on AVX-512,
/// two ymm registers on AVX2. `add` is one `vpdpbusd` with VNNI; without it `vpmaddubsw` (u8 × s8
/// products summed in pairs to int16, with saturation: exact while each pair stays within int16, that
/// is for inputs up to 127 against weights from −128 to 127), `vpmaddwd` by ones (pairs to int32) and
/// `vpaddd`.
struct DotProduct {
    #if GN_AVX512
    var value: __m512i

    @inline(__always) init() { value = _mm512_setzero_si512() }
    @inline(__always) init(loading pointer: UnsafeRawPointer) { value = _mm512_loadu_si512(pointer) }

    /// 4 input bytes in every lane.
    struct Broadcast {
        var value: __m512i
        @inline(__always) init(_ bytes: Int32) { value = _mm512_set1_epi32(bytes) }
    }

    /// `self += Σ inputs · weights`, 4 byte products per lane.
    @inline(__always) mutating func add(_ inputs: Broadcast, _ weights: DotProduct) {
        #if GN_VNNI
        value = _mm512_dpbusd_epi32(value, inputs.value, weights.value)
        #else
        value = _mm512_add_epi32(value, _mm512_madd_epi16(_mm512_maddubs_epi16(inputs.value, weights.value),
                                                          _mm512_set1_epi16(1)))
        #endif
    }

    var integers: SIMD16<Int32> { unsafeBitCast(value, to: SIMD16<Int32>.self) }

    /// Floats `recover` converts at once.
    static let lanes = 16

    /// `IntegerArithmetic.recover` of `lanes` values: x · (1/σ), + 0.5, truncated, to bytes.
    @inline(__always)
    static func recover(_ values: UnsafePointer<Float>, reciprocal: Float, into bytes: UnsafeMutablePointer<UInt8>) {
        let scaled = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(values), _mm512_set1_ps(reciprocal)), _mm512_set1_ps(0.5))
        UnsafeMutableRawPointer(bytes).storeBytes(of: _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(scaled)), as: __m128i.self)
    }
    #else
    var low: __m256i
    var high: __m256i

    @inline(__always) init() { low = _mm256_setzero_si256(); high = _mm256_setzero_si256() }
    @inline(__always) init(loading pointer: UnsafeRawPointer) {
        low = _mm256_loadu_si256(pointer.assumingMemoryBound(to: __m256i_u.self))
        high = _mm256_loadu_si256((pointer + 32).assumingMemoryBound(to: __m256i_u.self))
    }

    /// 4 input bytes in every lane.
    struct Broadcast {
        var value: __m256i
        @inline(__always) init(_ bytes: Int32) { value = _mm256_set1_epi32(bytes) }
    }

    /// `self += Σ inputs · weights`, 4 byte products per lane.
    @inline(__always) mutating func add(_ inputs: Broadcast, _ weights: DotProduct) {
        #if GN_AVXVNNI
        low = _mm256_dpbusd_avx_epi32(low, inputs.value, weights.low)
        high = _mm256_dpbusd_avx_epi32(high, inputs.value, weights.high)
        #else
        let ones = _mm256_set1_epi16(1)
        low = _mm256_add_epi32(low, _mm256_madd_epi16(_mm256_maddubs_epi16(inputs.value, weights.low), ones))
        high = _mm256_add_epi32(high, _mm256_madd_epi16(_mm256_maddubs_epi16(inputs.value, weights.high), ones))
        #endif
    }

    var integers: SIMD16<Int32> {
        SIMD16(lowHalf: unsafeBitCast(low, to: SIMD8<Int32>.self), highHalf: unsafeBitCast(high, to: SIMD8<Int32>.self))
    }

    /// Floats `recover` converts at once.
    static let lanes = 8

    /// `IntegerArithmetic.recover` of `lanes` values: x · (1/σ), + 0.5, truncated, to bytes.
    @inline(__always)
    static func recover(_ values: UnsafePointer<Float>, reciprocal: Float, into bytes: UnsafeMutablePointer<UInt8>) {
        let scaled = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(values), _mm256_set1_ps(reciprocal)), _mm256_set1_ps(0.5))
        let integers = unsafeBitCast(_mm256_cvttps_epi32(scaled), to: SIMD8<Int32>.self)
        UnsafeMutableRawPointer(bytes).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: integers), as: SIMD8<UInt8>.self)
    }
    #endif

    /// The largest input integer `add` takes exactly: a byte with VNNI; without it 127, so that a pair
    /// of products, at most 2 · 127 · 128 in magnitude, stays within int16.
    #if GN_VNNI || GN_AVXVNNI
    static let largestInput = Int(UInt8.max)
    #else
    static let largestInput = Int(Int8.max)
    #endif
}
#endif
