import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
#if arch(x86_64)
@testable import GNKernelsAVX2
@testable import GNKernelsAVX512
#endif

/// Models with int8 weights (format 1.1): the reader, the planner's choice of integer kernels, and
/// one result whatever the instruction set, the threads or the schedule. (Bit-for-bit agreement with
/// the numpy reference's integer semantics: examples/python/tests/test_int8.py.)
final class IntegerTests: XCTestCase {
    private func network(_ architecture: ReferenceNetworks.Architecture, int8: Bool) throws -> [UInt8] {
        // VGG-16 pools five times: 32 × 32 is its smallest input.
        try ReferenceNetworks.build(.init(architecture: architecture, inputSize: architecture == .vgg16 ? 32 : 16, levels: 4,
                                          weights: .kaiming(seed: 3),
                                          int8: int8)).serialize()
    }

    func testInt8FilesAreFormat11AndFloatFilesStayFormat10() throws {
        for architecture in [ReferenceNetworks.Architecture.resnet20, .vgg16] {
            let float = try network(architecture, int8: false), integer = try network(architecture, int8: true)
            XCTAssertEqual(float[ModelFormat.Header.minor], 0, "a file without int8 weights is a 1.0 file")
            XCTAssertEqual(integer[ModelFormat.Header.minor], 1)
            XCTAssertLessThan(Double(integer.count), 0.3 * Double(float.count))
            // The handles own the bytes their views read: keep them.
            let floatModel = try loadModel(float), integerModel = try loadModel(integer)
            let floatView = floatModel.view, integerView = integerModel.view
            var integerLayers = 0
            for index in 0..<integerView.layerCount {
                let layer = integerView.layer(index)
                guard layer.kind == .conv2d || layer.kind == .linear else { continue }
                // Every weighted layer but the first (it reads the analog input) has int8 weights.
                XCTAssertEqual(layer.integerWeights != nil, layer.inputA != 0, "layer \(index)")
                XCTAssertEqual(layer.weights == nil, layer.inputA != 0, "layer \(index)")
                XCTAssertNil(floatView.layer(index).integerWeights)
                if layer.integerWeights != nil { integerLayers += 1 }
            }
            XCTAssertGreaterThan(integerLayers, 5)
            withExtendedLifetime((floatModel, integerModel)) {}
        }
    }

    func testTheIntegerKernelsAreChosenForInt8Layers() throws {
        let model = try loadModel(try network(.resnet20, int8: true))
        let handle = try SessionHandle.create(model: model, options: options(.groupNeuron, tau: 4, T: 2, batch: 2))
        var integerKernels = 0
        for index in 0..<model.view.layerCount {
            let layer = model.view.layer(index)
            guard let kernel = try handle.session.kernel(ofLayer: index) else { continue }
            // The integer kernels: the portable one (".int8"), pairs of nonzero inputs (".pairs"), exact
            // float arithmetic (".exact…") and dot products of bytes (".dot…") or 16-bit words (".words…").
            let name = "\(kernel.name)"
            let integer = name.hasSuffix(".int8") || name.hasSuffix(".pairs") || name.contains(".exact")
                || name.contains(".dot") || name.contains(".words")
            XCTAssertEqual(integer, layer.integerWeights != nil, "layer \(index): \(name)")
            if layer.integerWeights != nil { integerKernels += 1 }
        }
        XCTAssertEqual(integerKernels, 21, "ResNet-20: 18 + 2 shortcut convolutions and the classifier")
    }

    func testInt8ResultsDoNotDependOnInstructionSetThreadsOrSchedule() throws {
        for architecture in [ReferenceNetworks.Architecture.resnet20, .vgg16] {
            let model = try loadModel(try network(architecture, int8: true))
            let input = randomInput(count: 2 * model.view.inputShape.elementCount, seed: 4, dyadic: false)
            for neuron in [NeuronKind.ann, .groupNeuron, .integrateAndFire] {
                var base = options(neuron, tau: 4, T: 3, batch: 2)
                base.instructionSet = .baseline
                let expected = try runModel(model, base, input: input)
                XCTAssertGreaterThan(expected.output.map(abs).max() ?? 0, 0)
                for set in InstructionSet.allCases where KernelRegistry.isAvailable(set) {
                    for (threads, schedule) in [(1, Schedule.layerByLayer), (2, .layerByLayer), (2, .stepByStep), (1, .lean), (2, .lean)] {
                        var variant = base
                        variant.instructionSet = set
                        variant.threads = threads
                        variant.schedule = schedule
                        let result = try runModel(model, variant, input: input)
                        XCTAssertEqual(bitPatterns(result.output), bitPatterns(expected.output),
                                       "\(architecture) \(neuron.name) \(set.name) \(threads) threads \(schedule)")
                        XCTAssertEqual(result.predictions, expected.predictions)
                        // A lean session's spike maps held as bytes are not observed (see the lean test).
                        for (layer, spikes) in result.spikes.enumerated() where !spikes.isEmpty {
                            XCTAssertEqual(spikes, expected.spikes[layer])
                        }
                    }
                }
            }
        }
    }

    /// Lean sessions keep the spike maps that only int8 layers (and their pools) read as bytes, the
    /// integers themselves: a quarter of the memory, the same results bit for bit, the same spike
    /// counts; the observer sees those layers as nil.
    func testLeanSessionsKeepIntegerSpikeMapsAsBytes() throws {
        let model = try loadModel(try network(.vgg16, int8: true))
        let input = randomInput(count: 2 * model.view.inputShape.elementCount, seed: 6, dyadic: false)
        for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
            for set in [InstructionSet.baseline, KernelRegistry.widestAvailable] {
                for threads in [1, 2] {
                    var layer = options(neuron, tau: 4, T: 3, batch: 2)
                    layer.instructionSet = set
                    layer.threads = threads
                    layer.countsSpikes = true
                    var lean = layer
                    lean.schedule = .lean
                    let label = "\(neuron.name) \(set.name) \(threads) threads"
                    let expected = try session(model, layer).anytimeRun(input, samples: 2)
                    let leanSession = try session(model, lean)
                    let result = try leanSession.anytimeRun(input, samples: 2)
                    XCTAssertEqual(bitPatterns(result.output), bitPatterns(expected.output), label)
                    XCTAssertEqual(result.predictions, expected.predictions, label)
                    XCTAssertEqual(result.spikes, expected.spikes, label)
                    XCTAssertEqual(result.synapticOperations, expected.synapticOperations, label)
                    XCTAssertGreaterThan(result.spikes.reduce(0, +), 0, label)
                    let plans = (0..<model.view.layerCount).map { leanSession.session.plans[$0] }
                    let bytes = plans.filter { $0.storesIntegers }
                    XCTAssertTrue(bytes.contains { $0.layer.kind == .qcfs } && bytes.contains { $0.layer.kind == .avgPool2d }, label)
                    // Every integer map is read as integers (an int8 layer, a pool or a flatten keeping them).
                    for (index, plan) in plans.enumerated() where plan.storesIntegers {
                        for reader in plans where reader.layer.inputA == index + 1 {
                            XCTAssertTrue(reader.inputHoldsIntegers && (reader.integerInput != nil || reader.storesIntegers), label)
                        }
                    }
                    XCTAssertLessThan(leanSession.session.layout.totalBytes, try session(model, layer).session.layout.totalBytes)
                }
            }
        }
    }

    // MARK: - Kernels

    /// Every variant's fastest int8 kernel equals its reference kernel (`IntegerConvolution`), bit for
    /// bit, on convolutions and linear layers of every tile shape, with inputs whose integers fit a
    /// byte, fit the exact float sums, or neither (the kernels that cannot take them step aside).
    func testEveryIntegerKernelEqualsTheReferenceKernel() throws {
        var random = SeededRandom(seed: 77)
        // (batch, Cin, H, W, Cout, kernel, stride, padding); H = W = kernel = 1 for a linear layer.
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 3, 9, 9, 16, 3, 1, 1), (1, 16, 8, 8, 32, 3, 1, 1), (1, 20, 6, 7, 70, 3, 2, 1), (2, 64, 4, 4, 64, 1, 2, 0),
            (1, 5, 3, 3, 7, 3, 1, 1), (1, 300, 1, 1, 40, 1, 1, 0), (5, 64, 1, 1, 100, 1, 1, 0), (32, 33, 1, 1, 10, 1, 1, 0),
            // The row kernels of AVX-512 (IntegerRowsDot): rows ending in a partial tile, strides 1 and
            // 2, 1 × 1 shortcuts, 16, 32 and 64 input channels.
            (2, 16, 9, 20, 16, 3, 1, 1), (1, 16, 10, 18, 32, 3, 2, 1), (2, 16, 16, 16, 32, 1, 2, 0),
            (1, 32, 8, 16, 64, 1, 2, 0), (1, 32, 6, 12, 32, 3, 1, 1), (1, 64, 4, 9, 64, 3, 1, 1), (2, 32, 16, 16, 64, 3, 2, 1),
            // Kernel rows on padding left out: padding wider than the kernel (output rows whose every
            // kernel row lies on padding) and a strided layer whose bottom windows reach no padding.
            (1, 16, 5, 16, 32, 3, 1, 4), (2, 16, 7, 16, 32, 3, 2, 1),
            // A fan-in small enough for the exact float tiles to take integers past 16-bit words.
            (3, 2, 1, 1, 40, 1, 1, 0),
        ]
        var kernels: Set<String> = []
        for shape in cases {
            let layer = RandomLayer(shape, &random)
            let g = layer.geometry, ho = g.outputHeight
            // 4 and 16: Group Neuron spike counts and their pools, the counts kernel's (on the baseline).
            // 127 and 255: the largest integers the byte dot products take without VNNI and with it;
            // 32767 the 16-bit words' largest; 40000 past them (the exact float tiles for the smallest
            // fan-in, else the portable kernel).
            for largest in [4, 16, 127, 255, 4000, 32767, 40000] {
                let input = layer.input(largest: largest, &random)
                let query = layer.query(largest: largest)
                var reference = query
                reference.preference = .reference
                for set in InstructionSet.allCases where KernelRegistry.isAvailable(set) {
                    let label = "\(set.name) \(layer.name) largest \(largest)"
                    let expected = try run(reference, set, layer, input: input)
                    let fastest = try run(query, set, layer, input: input)
                    XCTAssertEqual(bitPatterns(fastest.output), bitPatterns(expected.output), "\(label): \(fastest.name)")
                    XCTAssertFalse(expected.output.contains { $0.isNaN }, label)
                    if largest <= 255 {
                        // The same layer reading the integers as bytes (a lean session's spike maps).
                        let fromBytes = try run(query, set, layer, input: input, bytes: true)
                        XCTAssertEqual(bitPatterns(fromBytes.output), bitPatterns(expected.output), "\(label): \(fromBytes.name) from bytes")
                        kernels.insert("\(fromBytes.name) from bytes")
                    }
                    if !layer.linear {
                        // Bands of rows (lean sessions): one row, two, the rest; each what the whole layer computes there.
                        let rowElements = g.outputWidth * g.outputChannels
                        var banded = [Float](repeating: .nan, count: fastest.output.count)
                        let cuts = [0, min(1, ho), min(3, ho), ho]
                        for (first, end) in zip(cuts, cuts.dropFirst()) where first < end {
                            let band = try run(query, set, layer, input: input, rows: first..<end).output
                            let rows = (end - first) * rowElements
                            for image in 0..<g.batch {
                                banded.replaceSubrange((image * ho + first) * rowElements..<(image * ho + end) * rowElements,
                                                       with: band[image * rows..<(image + 1) * rows])
                            }
                        }
                        XCTAssertEqual(bitPatterns(banded), bitPatterns(fastest.output), "\(label): \(fastest.name) in bands")
                    }
                    kernels.insert("\(fastest.name)")
                    XCTAssertEqual("\(expected.name)", layer.linear ? "linear.int8" : "conv2d.int8")
                }
            }
        }
        // Each kind of kernel took part: the portable one (the largest integers), the counts and pairs of
        // the baseline (the microcontrollers' kernels), the exact float one, and the dot products' (bytes and
        // 16-bit words; rows on AVX-512) where the CPU has them.
        XCTAssertTrue(kernels.contains("conv2d.int8") && kernels.contains { $0.contains(".exact") }, "\(kernels)")
        XCTAssertTrue(kernels.contains("conv2d.pairs") && kernels.contains("conv2d.counts"), "\(kernels)")
        // Every kind reads bytes too. (The exact float tiles take integers up to 255 only where the CPU
        // has no byte dot products, not on x86-64: testTheExactFloatTilesReadBytesAsTheReferenceKernel
        // calls them.)
        XCTAssertTrue(["conv2d.pairs", "conv2d.counts", "conv2d.int8", "linear.int8"].allSatisfy { kernels.contains("\($0) from bytes") },
                      "\(kernels)")
        if KernelRegistry.isAvailable(.avx2) {
            XCTAssertTrue(kernels.contains { $0.contains(".dot") && !$0.contains("rows") }, "\(kernels)")
            XCTAssertTrue(kernels.contains { $0.contains(".dot") && !$0.contains("rows") && $0.hasSuffix("from bytes") }, "\(kernels)")
            XCTAssertTrue(kernels.contains { $0.contains(".words") }, "\(kernels)")
        }
        if KernelRegistry.isAvailable(.avx512) {
            XCTAssertTrue(kernels.contains { $0.contains(".dotrows") }, "\(kernels)")
            XCTAssertTrue(kernels.contains { $0.contains(".dotrows") && $0.hasSuffix("from bytes") }, "\(kernels)")
        }
    }

    /// The kernel over small integers (`conv2d.counts`) adds a value's weights in 16-bit halves on the
    /// Cortex-M4, in runs short enough not to overflow: windows of 576 inputs of one value, with
    /// weights of the largest magnitude (257 inputs of −128 leave 16 bits), equal the reference kernel,
    /// with a bias and without. Every input here is 1, or every value 1 … 16 at once. (The host's form
    /// of the kernel adds in 16 bits as the Cortex-M4's does, so a run too long would fail here.)
    func testTheCountsKernelRunsPastWhatSixteenBitsHold() throws {
        let g = WindowGeometry(batch: 2, inputHeight: 5, inputWidth: 6, inputChannels: 64, outputHeight: 5, outputWidth: 6,
                               outputChannels: 16, kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1,
                               paddingHeight: 1, paddingWidth: 1)
        // Channels 0 … 7 all −128, 8 … 15 all 127.
        let weights = (0..<9 * 64 * 16).map { $0 % 16 < 8 ? Int8.min : Int8.max }
        let scales = (0..<16).map { Float($0 + 1) * 0.001 }
        let bias = [Float](repeating: 0.25, count: 16)
        let scale: Float = 0.5
        var random = SeededRandom(seed: 5)
        for (largest, bias) in [(1, bias), (16, bias), (16, [])] {
            let input = (0..<g.batch * g.inputElementsPerSample).map { _ -> Float in
                largest == 1 ? scale : Float(Int(random.next() % 16) + 1) * scale
            }
            let query = KernelQuery(operation: .convolution, numberType: .int8, geometry: g,
                                    weightLayout: .plain(inputChannels: 64, outputChannels: 16), steps: 1, batch: 2,
                                    largestInputInteger: largest)
            var reference = query
            reference.preference = .reference
            let expected = try run(reference, .baseline, input: input, weights: weights, scales: scales, bias: bias, scale: scale)
            let counts = try run(query, .baseline, input: input, weights: weights, scales: scales, bias: bias, scale: scale)
            XCTAssertEqual("\(counts.name)", "conv2d.counts")
            XCTAssertEqual(bitPatterns(counts.output), bitPatterns(expected.output), "largest \(largest), bias \(!bias.isEmpty)")
            // The centre pixel's channel 0 sums 576 inputs of −128 times the value: far past 16 bits.
            XCTAssertLessThan(expected.output.min() ?? 0, Float(-576 * 128) * 0.001 * scale * 0.9)
        }
    }

    /// The exact float tiles read a lean session's bytes as they read floats. On x86-64 the byte dot
    /// products take every layer whose integers fit a byte, so no session here reaches this path (CPUs
    /// without them, AArch64's, take it): the tiles of the AVX2 and AVX-512 builds are called directly,
    /// on integers up to 255, each equal to the reference kernel bit for bit.
    #if arch(x86_64)
    func testTheExactFloatTilesReadBytesAsTheReferenceKernel() throws {
        var random = SeededRandom(seed: 91)
        // (batch, Cin, H, W, Cout, kernel, stride, padding); H = W = kernel = 1 for a linear layer.
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 16, 6, 7, 16, 3, 1, 1), (1, 20, 6, 7, 70, 3, 2, 1), (2, 32, 4, 4, 64, 1, 2, 0), (1, 300, 1, 1, 40, 1, 1, 0),
            (5, 64, 1, 1, 100, 1, 1, 0),
        ]
        let tiles: [(InstructionSet, (KernelQuery) -> KernelChoice?)] = [
            (.avx2, { GNKernelsAVX2.IntegerConvolutionExact.choice($0, linear: $0.operation == .linear) }),
            (.avx512, { GNKernelsAVX512.IntegerConvolutionExact.choice($0, linear: $0.operation == .linear) }),
        ]
        var ran = 0
        for shape in cases {
            let layer = RandomLayer(shape, &random)
            for largest in [4, 255] {
                let input = layer.input(largest: largest, &random)
                let query = layer.query(largest: largest)
                var reference = query
                reference.preference = .reference
                for (set, tile) in tiles where KernelRegistry.isAvailable(set) {
                    let label = "\(set.name) \(layer.name) largest \(largest)"
                    let expected = try run(reference, set, layer, input: input)
                    let fromBytes = try run(query, set, layer, input: input, bytes: true, kernel: tile)
                    XCTAssertTrue("\(fromBytes.name)".contains("exact"), "\(label): \(fromBytes.name)")
                    XCTAssertEqual(bitPatterns(fromBytes.output), bitPatterns(expected.output), "\(label): \(fromBytes.name) from bytes")
                    ran += 1
                }
            }
        }
        // This machine's CPU takes at least the AVX2 build (CI's do); without it the test checks nothing.
        try XCTSkipIf(ran == 0, "no CPU with AVX2 here")
    }
    #endif

    /// An int8 convolution or linear layer of random weights, scales and bias, and its random inputs:
    /// integers up to a largest one (40% zeros) times `scale`.
    private struct RandomLayer {
        let geometry: WindowGeometry
        let linear: Bool
        let weights: [Int8]
        let scales: [Float]
        let bias: [Float]
        let scale: Float = 0.37

        /// From `(batch, Cin, H, W, Cout, kernel, stride, padding)`; H = W = kernel = 1 is a linear layer.
        init(_ shape: (Int, Int, Int, Int, Int, Int, Int, Int), _ random: inout SeededRandom) {
            let (batch, cin, h, w, cout, k, s, p) = shape
            linear = h == 1 && w == 1 && k == 1
            geometry = WindowGeometry(batch: batch, inputHeight: h, inputWidth: w, inputChannels: cin,
                                      outputHeight: (h + 2 * p - k) / s + 1, outputWidth: (w + 2 * p - k) / s + 1,
                                      outputChannels: cout, kernelHeight: k, kernelWidth: k, strideHeight: s,
                                      strideWidth: s, paddingHeight: p, paddingWidth: p)
            weights = (0..<k * k * cin * cout).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 256) - 128) }
            scales = (0..<cout).map { _ in 0.001 + 0.01 * random.unit() }
            bias = (0..<cout).map { _ in random.symmetric(0.5) }
        }

        var name: String {
            let g = geometry
            return "\(linear ? "linear" : "conv") \(g.inputChannels)->\(g.outputChannels) k\(g.kernelHeight) s\(g.strideHeight)"
        }

        func input(largest: Int, _ random: inout SeededRandom) -> [Float] {
            (0..<geometry.batch * geometry.inputElementsPerSample).map { _ -> Float in
                random.unit() < 0.4 ? 0 : Float(Int(random.next() % UInt64(largest + 1))) * scale
            }
        }

        func query(largest: Int) -> KernelQuery {
            KernelQuery(operation: linear ? .linear : .convolution, numberType: .int8, geometry: geometry,
                        weightLayout: .plain(inputChannels: geometry.inputChannels, outputChannels: geometry.outputChannels),
                        steps: 1, batch: geometry.batch, largestInputInteger: largest)
        }
    }

    /// `run` over a random layer's weights, scales, bias and input scale.
    private func run(_ query: KernelQuery, _ set: InstructionSet, _ layer: RandomLayer, input: [Float], rows: Range<Int>? = nil,
                     bytes: Bool = false, kernel: ((KernelQuery) -> KernelChoice?)? = nil) throws -> (output: [Float], name: StaticString) {
        try run(query, set, input: input, weights: layer.weights, scales: layer.scales, bias: layer.bias, scale: layer.scale,
                rows: rows, bytes: bytes, kernel: kernel)
    }

    /// Runs variant `set`'s answer to an int8 `query` as a session does: its weights packed first when
    /// it packs them, its tasks in two ranges on two workers' scratch (NaN-filled).
    /// With `rows`, only those output rows of each image (`KernelArguments.convolutionBand`), image after image.
    /// With `bytes`, the input as a lean session holds it: each value's integer, one byte each.
    /// With `kernel`, that kernel rather than the variant's answer.
    private func run(_ query: KernelQuery, _ set: InstructionSet, input: [Float], weights: [Int8], scales: [Float],
                     bias: [Float], scale: Float, rows: Range<Int>? = nil, bytes: Bool = false,
                     kernel: ((KernelQuery) -> KernelChoice?)? = nil) throws -> (output: [Float], name: StaticString) {
        var query = query
        query.inputHoldsIntegers = bytes
        let integers = UnsafeMutablePointer<UInt8>.allocate(capacity: input.count)
        integers.initialize(from: input.map { bytes ? UInt8(($0 / scale).rounded()) : 0 }, count: input.count)
        defer { integers.deallocate() }
        let choice = try XCTUnwrap(kernel.map { $0(query) } ?? KernelRegistry.kernel(for: query, in: set))
        let g = query.geometry
        let stride = (choice.scratchFloats + 15) / 16 * 16
        var output = [Float](repeating: .nan, count: rows.map { g.batch * $0.count * g.outputWidth * g.outputChannels } ?? g.outputElements)
        var scratch = [Float](repeating: .nan, count: max(1, 2 * stride))
        let packed = AlignedBuffer(count: max(64, choice.packedWeightBytes))
        input.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { weights in
                scales.withUnsafeBufferPointer { scales in
                    bias.withUnsafeBufferPointer { bias in
                        output.withUnsafeMutableBufferPointer { output in
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                var arguments = KernelArguments(
                                    samples: g.batch, steps: 1, geometry: g, input: input.baseAddress!, inputSteps: 1,
                                    secondInput: nil, secondInputSteps: 1, output: output.baseAddress!, weights: nil,
                                    bias: bias.isEmpty ? nil : bias.baseAddress, weightLayout: query.weightLayout, membrane: nil,
                                    neuron: NeuronParameters(threshold: 1, levels: 1, members: 1), resetsMembranes: true,
                                    scratch: scratch.baseAddress!, scratchStride: stride, split: choice.split,
                                    integerWeights: weights.baseAddress, weightScales: scales.baseAddress, inputScale: scale,
                                    largestInputInteger: query.largestInputInteger,
                                    packedWeights: choice.packWeights == nil ? nil : UnsafeRawPointer(packed.pointer))
                                let whole = arguments
                                withUnsafePointer(to: whole) { job in choice.packWeights?(UnsafeRawPointer(job), packed.pointer) }
                                if bytes {
                                    arguments.input = UnsafeRawPointer(integers).assumingMemoryBound(to: Float.self)
                                    arguments.inputHoldsIntegers = true
                                }
                                if let rows { arguments = arguments.convolutionBand(rows: rows, output: output.baseAddress!) }
                                let tasks = arguments.split.tasks(samples: g.batch)
                                withUnsafePointer(to: &arguments) { job in
                                    choice.function(UnsafeRawPointer(job), 1, 0, tasks / 3)
                                    choice.function(UnsafeRawPointer(job), 0, tasks / 3, tasks)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, choice.name)
    }
}
