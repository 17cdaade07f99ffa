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
/// - Inputs: each output pixel's window becomes a *patch* of integers in the thread's scratch, tap by
///   tap, the channels of a tap padded to a whole group, taps on padding zero: bytes (`ByteInputs`)
///   when the integers are at most `DotProduct.largestInput`, else 16-bit words (`WordInputs`: two
///   products per lane, `vpdpwssd` or `vpmaddwd`) up to 32767; layers whose inputs may be larger keep
///   the other kernels.
/// - Weights: packed when the session is created (`packWeights`), per vector of 16 output channels, as
///   `[group][16 channels][4 bytes]` (4 weight bytes, or 2 weights widened to words): one 64-byte load
///   per group and vector.
/// - A tile of P pixels × V vectors keeps its P·V sums in registers while the loop runs over the
///   groups: V weight loads and P broadcasts of 4 patch bytes feed P·V dot products. Tasks and tiles
///   are `IntegerTiling`'s.
///
/// Intrinsics of the toolchain's clang headers (GNIntrinsics); `DotProduct` holds what differs between
/// the instruction sets.
enum IntegerConvolutionDot {
    /// The kernel for an int8 layer whose input integers the dot products take (`ByteInputs`, else
    /// `WordInputs`), or nil.
    static func choice(_ query: KernelQuery, linear: Bool) -> KernelChoice? {
        let words: Bool
        if query.largestInputInteger <= ByteInputs.largestInput {
            words = false
        } else if query.largestInputInteger <= WordInputs.largestInput {
            words = true
        } else {
            return nil
        }
        let pixels = query.batch * query.outputPixelsPerSample
        #if !GN_AVX512
        // 16 registers of 8 int32, two per vector of 16 channels: 6 pixels × 16 channels (12 sums, 2
        // weights, a broadcast), or for few pixels 1 × 32.
        let shape = pixels < 6 ? (1, 2) : (6, 1)
        #else
        // Shapes: as many sums as 32 registers hold beside the weights; few pixels (a linear layer of a
        // small batch) in tiles of one, which read the weights once.
        let vectors = (query.geometry.outputChannels + 15) / 16
        let shape = pixels < 6 ? (1, 4) : vectors >= 4 ? (6, 4) : vectors >= 2 ? (8, 2) : (12, 1)
        #endif
        guard let tile = tile(pixels: shape.0, vectors: shape.1, words: words, linear: linear) else { return nil }
        let g = query.geometry
        let elements = patchElements(g, perGroup: words ? WordInputs.perGroup : ByteInputs.perGroup)
        let elementBytes = words ? MemoryLayout<WordInputs.Element>.size : MemoryLayout<ByteInputs.Element>.size
        return KernelChoice(function: tile.function, split: IntegerTiling.split(query, pixels: shape.0, vectors: shape.1),
                            scratchFloats: IntegerTiling.scratchFloats(pixels: shape.0, patchBytes: elements * elementBytes),
                            name: tile.name, packedWeightBytes: packedBytes(g, vectors: shape.1, patchBytes: elements * elementBytes),
                            packWeights: tile.pack)
    }

    /// A tile shape's kernel and the packing of its weights.
    struct Tile {
        var name: StaticString
        var function: TaskFunction
        var pack: PackFunction
    }

    /// The kernel of tiles of `pixels` × `vectors` over bytes or 16-bit words (`words`), or nil when this
    /// variant has no such shape. One literal each: a C function pointer cannot capture a generic shape.
    private static func tile(pixels: Int, vectors: Int, words: Bool, linear: Bool) -> Tile? {
        switch (pixels, vectors, words) {
        #if GN_AVX512
        case (1, 4, false):
            return Tile(name: linear ? "linear.dot1x64" : "conv2d.dot1x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 4>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 4, ByteInputs.self, job, into: destination)
            }
        case (1, 4, true):
            return Tile(name: linear ? "linear.words1x64" : "conv2d.words1x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 4>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 4, WordInputs.self, job, into: destination)
            }
        case (6, 4, false):
            return Tile(name: linear ? "linear.dot6x64" : "conv2d.dot6x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<6, 4>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 4, ByteInputs.self, job, into: destination)
            }
        case (6, 4, true):
            return Tile(name: linear ? "linear.words6x64" : "conv2d.words6x64") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<6, 4>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 4, WordInputs.self, job, into: destination)
            }
        case (8, 2, false):
            return Tile(name: linear ? "linear.dot8x32" : "conv2d.dot8x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<8, 2>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (8, 2, true):
            return Tile(name: linear ? "linear.words8x32" : "conv2d.words8x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<8, 2>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, WordInputs.self, job, into: destination)
            }
        case (12, 1, false):
            return Tile(name: linear ? "linear.dot12x16" : "conv2d.dot12x16") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<12, 1>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 1, ByteInputs.self, job, into: destination)
            }
        case (12, 1, true):
            return Tile(name: linear ? "linear.words12x16" : "conv2d.words12x16") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<12, 1>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 1, WordInputs.self, job, into: destination)
            }
        #else
        case (1, 2, false):
            return Tile(name: linear ? "linear.dot1x32" : "conv2d.dot1x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 2>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (1, 2, true):
            return Tile(name: linear ? "linear.words1x32" : "conv2d.words1x32") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<1, 2>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, WordInputs.self, job, into: destination)
            }
        case (6, 1, false):
            return Tile(name: linear ? "linear.dot6x16" : "conv2d.dot6x16") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<6, 1>.self, ByteInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 1, ByteInputs.self, job, into: destination)
            }
        case (6, 1, true):
            return Tile(name: linear ? "linear.words6x16" : "conv2d.words6x16") { job, worker, begin, end in
                IntegerConvolutionDot.run(TileShape<6, 1>.self, WordInputs.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 1, WordInputs.self, job, into: destination)
            }
        #endif
        default:
            return nil
        }
    }

    /// A tap's channels in a patch: padded to a multiple of `perGroup`, the inputs one lane reads.
    @inline(__always)
    static func paddedChannels(_ g: WindowGeometry, perGroup: Int) -> Int { (g.inputChannels + perGroup - 1) / perGroup * perGroup }

    /// Elements of one pixel's patch: every tap's padded channels.
    @inline(__always)
    static func patchElements(_ g: WindowGeometry, perGroup: Int) -> Int {
        g.kernelHeight * g.kernelWidth * paddedChannels(g, perGroup: perGroup)
    }

    /// Bytes of the weights `pack` writes for tiles of `vectors` vectors over patches of `patchBytes`
    /// bytes: 64 bytes per group of 4 patch bytes and vector of 16 channels.
    static func packedBytes(_ g: WindowGeometry, vectors: Int, patchBytes: Int) -> Int {
        IntegerTiling.blocks(g, vectors: vectors) * vectors * 16 * patchBytes
    }

    /// Packs `[tap][c][o]` int8 weights into `[vector][group][16][perGroup]` of `Inputs.Weight`, a group
    /// being the patch elements of 4 bytes, vectors padded with zeros to a multiple of `tileVectors`
    /// (a tile's), the channels of
    /// a tap to a multiple of `perGroup` (`IntegerRowsDot` reads the same layout, of bytes).
    static func pack<Inputs: DotInputs>(vectors tileVectors: Int, _ inputs: Inputs.Type, _ job: UnsafeRawPointer,
                                        into destination: UnsafeMutableRawPointer) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry, weights = arguments.integerWeights!
        let perGroup = Inputs.perGroup
        let channels = paddedChannels(g, perGroup: perGroup), groups = patchElements(g, perGroup: perGroup) / perGroup
        let vectors = IntegerTiling.blocks(g, vectors: tileVectors) * tileVectors
        let count = vectors * groups * 16 * perGroup
        let packed = destination.bindMemory(to: Inputs.Weight.self, capacity: count)
        packed.update(repeating: 0, count: count)
        for output in 0..<g.outputChannels {
            for tap in 0..<g.kernelHeight * g.kernelWidth {
                for channel in 0..<g.inputChannels {
                    let element = tap * channels + channel
                    packed[((output / 16) * groups + element / perGroup) * 16 * perGroup + (output % 16) * perGroup
                           + element % perGroup] =
                        Inputs.Weight(truncatingIfNeeded: weights[(tap * g.inputChannels + channel) * g.outputChannels + output])
                }
            }
        }
    }

    private static func run<let P: Int, let V: Int, Inputs: DotInputs>(_ shape: TileShape<P, V>.Type, _ inputs: Inputs.Type,
                                                                         _ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let reciprocal = arguments.inputReciprocal
        let elements = patchElements(g, perGroup: Inputs.perGroup)
        IntegerTiling.run(arguments, worker: worker, tasks: tasks, pixels: P, vectors: V, patchElements: elements,
                          of: Inputs.Element.self) { pixel, patch in
            // The window's integers: a lean session's bytes as they are, or recovered from the floats
            // (SIMD on purpose: `DotProduct.lanes` channels at a time).
            let stride = paddedChannels(g, perGroup: Inputs.perGroup)
            if arguments.inputHoldsIntegers {
                IntegerTiling.makePatch(arguments, input: arguments.inputIntegers, pixel: pixel, into: patch, stride: stride,
                                        zero: 0) { bytes, destination in
                    for channel in 0..<g.inputChannels { destination[channel] = Inputs.Element(bytes[channel]) }
                }
                return
            }
            IntegerTiling.makePatch(arguments, input: arguments.input, pixel: pixel, into: patch, stride: stride,
                                    zero: 0) { values, destination in
                Inputs.recover(values, count: g.inputChannels, reciprocal: reciprocal, into: destination)
            }
        } tile: { block, pixels, patches in
            tile(shape, inputs, arguments, block: block, pixels: pixels, patches: UnsafeRawPointer(patches),
                 patchBytes: elements * MemoryLayout<Inputs.Element>.size)
        }
    }

    /// One tile: output pixels `pixels` (at most P), whose patches (`patchBytes` bytes each) start at
    /// `patches`, × the V vectors of block `block`.
    @inline(__always)
    private static func tile<let P: Int, let V: Int, Inputs: DotInputs>(_ shape: TileShape<P, V>.Type, _ inputs: Inputs.Type,
                                                                          _ arguments: KernelArguments, block: Int,
                                                                          pixels: Range<Int>, patches: UnsafeRawPointer,
                                                                          patchBytes: Int) {
        let groups = patchBytes / 4
        let weights = arguments.packedWeights!
        // Pointers that advance, group by group, with no arithmetic in the loop but their increments:
        // the sums then stay in registers.
        var stream = InlineArray<V, UnsafeRawPointer>(repeating: weights)
        for vector in 0..<V { stream[vector] = weights + (block * V + vector) * groups * 64 }
        var inputs = InlineArray<P, UnsafeRawPointer>(repeating: patches)
        for index in 0..<P { inputs[index] = patches + index * patchBytes }
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
                for vector in 0..<V { Inputs.add(&sums[index][vector], value, weight[vector]) }
            }
        }
        IntegerTiling.store(arguments, block: block, pixels: pixels, vectors: V) { index, vector in
            SIMD16<Float>(sums[index][vector].integers)
        }
    }
}

/// What the dot products read: input integers as bytes (`ByteInputs`) or, for integers a byte cannot
/// hold, as 16-bit words (`WordInputs`); 4 bytes of inputs per lane and product either way.
protocol DotInputs {
    /// An input integer in a patch.
    associatedtype Element: FixedWidthInteger
    /// A packed weight.
    associatedtype Weight: FixedWidthInteger
    /// Inputs (and weights) per group: one lane's 4 bytes.
    static var perGroup: Int { get }
    /// The largest input integer the products take exactly.
    static var largestInput: Int { get }
    /// `sums += Σ inputs · weights`, a group per lane.
    static func add(_ sums: inout DotProduct, _ inputs: DotProduct.Broadcast, _ weights: DotProduct)
    /// The integers of `DotProduct.lanes` input values (`IntegerArithmetic.recover`), written to
    /// `destination`.
    static func recoverLanes(_ values: UnsafePointer<Float>, reciprocal: Float, into destination: UnsafeMutablePointer<Element>)
}

extension DotInputs {
    /// The integers of `count` input values (`IntegerArithmetic.recover`), written to `destination`:
    /// `DotProduct.lanes` at a time, then one by one.
    @inline(__always)
    static func recover(_ values: UnsafePointer<Float>, count: Int, reciprocal: Float,
                        into destination: UnsafeMutablePointer<Element>) {
        var index = 0
        while index + DotProduct.lanes <= count {
            recoverLanes(values + index, reciprocal: reciprocal, into: destination + index)
            index += DotProduct.lanes
        }
        while index < count {
            destination[index] = Element(truncatingIfNeeded: IntegerArithmetic.recover(values[index], reciprocal: reciprocal))
            index += 1
        }
    }
}

/// Input bytes against weight bytes: `DotProduct.add` (`vpdpbusd`, or three instructions without VNNI).
enum ByteInputs: DotInputs {
    typealias Element = UInt8
    typealias Weight = Int8
    static var perGroup: Int { 4 }
    static var largestInput: Int { DotProduct.largestInput }

    @inline(__always)
    static func add(_ sums: inout DotProduct, _ inputs: DotProduct.Broadcast, _ weights: DotProduct) {
        sums.add(inputs, weights)
    }

    @inline(__always)
    static func recoverLanes(_ values: UnsafePointer<Float>, reciprocal: Float, into destination: UnsafeMutablePointer<UInt8>) {
        DotProduct.recover(values, reciprocal: reciprocal, into: destination)
    }
}

/// Input words against weights widened to words, for integers above what bytes take (pooled counts of a
/// large τ): `DotProduct.addWords` (`vpdpwssd`, or `vpmaddwd` + `vpaddd`), exact for integers up to
/// 32767 (each product of a pair at most 32767 · 128 in magnitude, their sum within int32). Half the
/// products of an instruction of bytes.
enum WordInputs: DotInputs {
    typealias Element = Int16
    typealias Weight = Int16
    static var perGroup: Int { 2 }
    static var largestInput: Int { Int(Int16.max) }

    @inline(__always)
    static func add(_ sums: inout DotProduct, _ inputs: DotProduct.Broadcast, _ weights: DotProduct) {
        sums.addWords(inputs, weights)
    }

    @inline(__always)
    static func recoverLanes(_ values: UnsafePointer<Float>, reciprocal: Float, into destination: UnsafeMutablePointer<Int16>) {
        DotProduct.recoverWords(values, reciprocal: reciprocal, into: destination)
    }
}

/// 16 int32 lanes of dot-product sums (or one group of weights per lane: 64 signed weight bytes, or 32
/// weights widened to 16-bit words): one zmm register on AVX-512, two ymm registers on AVX2. `add` is one `vpdpbusd` with VNNI; without it `vpmaddubsw` (u8 × s8
/// products summed in pairs to int16, with saturation: exact while each pair stays within int16, that
/// is for inputs up to 127 against weights from −128 to 127), `vpmaddwd` by ones (pairs to int32) and
/// `vpaddd`.
struct DotProduct {
    #if GN_AVX512
    var value: __m512i

    @inline(__always) init() { value = _mm512_setzero_si512() }
    @inline(__always) init(loading pointer: UnsafeRawPointer) { value = _mm512_loadu_si512(pointer) }

    /// One group of inputs (4 bytes, or 2 words) in every lane.
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

    /// `self += Σ inputs · weights`, 2 products of 16-bit words per lane.
    @inline(__always) mutating func addWords(_ inputs: Broadcast, _ weights: DotProduct) {
        #if GN_VNNI
        value = _mm512_dpwssd_epi32(value, inputs.value, weights.value)
        #else
        value = _mm512_add_epi32(value, _mm512_madd_epi16(inputs.value, weights.value))
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

    /// `IntegerArithmetic.recover` of `lanes` values, to 16-bit words.
    @inline(__always)
    static func recoverWords(_ values: UnsafePointer<Float>, reciprocal: Float, into words: UnsafeMutablePointer<Int16>) {
        let scaled = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(values), _mm512_set1_ps(reciprocal)), _mm512_set1_ps(0.5))
        UnsafeMutableRawPointer(words).storeBytes(of: _mm512_cvtepi32_epi16(_mm512_cvttps_epi32(scaled)), as: __m256i.self)
    }
    #else
    var low: __m256i
    var high: __m256i

    @inline(__always) init() { low = _mm256_setzero_si256(); high = _mm256_setzero_si256() }
    @inline(__always) init(loading pointer: UnsafeRawPointer) {
        low = _mm256_loadu_si256(pointer.assumingMemoryBound(to: __m256i_u.self))
        high = _mm256_loadu_si256((pointer + 32).assumingMemoryBound(to: __m256i_u.self))
    }

    /// One group of inputs (4 bytes, or 2 words) in every lane.
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

    /// `self += Σ inputs · weights`, 2 products of 16-bit words per lane.
    @inline(__always) mutating func addWords(_ inputs: Broadcast, _ weights: DotProduct) {
        #if GN_AVXVNNI
        low = _mm256_dpwssd_avx_epi32(low, inputs.value, weights.low)
        high = _mm256_dpwssd_avx_epi32(high, inputs.value, weights.high)
        #else
        low = _mm256_add_epi32(low, _mm256_madd_epi16(inputs.value, weights.low))
        high = _mm256_add_epi32(high, _mm256_madd_epi16(inputs.value, weights.high))
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

    /// `IntegerArithmetic.recover` of `lanes` values, to 16-bit words.
    @inline(__always)
    static func recoverWords(_ values: UnsafePointer<Float>, reciprocal: Float, into words: UnsafeMutablePointer<Int16>) {
        let scaled = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(values), _mm256_set1_ps(reciprocal)), _mm256_set1_ps(0.5))
        let integers = unsafeBitCast(_mm256_cvttps_epi32(scaled), to: SIMD8<Int32>.self)
        UnsafeMutableRawPointer(words).storeBytes(of: SIMD8<Int16>(truncatingIfNeeded: integers), as: SIMD8<Int16>.self)
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
