import GNKernelInterface

/// Plans a session: checks the options, decides what each layer reads and writes, and lays out the
/// arena. It writes only into the plan table it is given, so it can run on a device without a heap.
enum Planner {
    /// Plans `model` under `options` into `plans` (room for `model.layerCount` entries, uninitialised
    /// or holding an earlier plan) and returns the arena layout. Offsets are from the arena's start;
    /// the plan table itself occupies `[0, layout.planBytes)`.
    ///
    /// A lean session (`Schedule.lean`) takes whichever plan needs the least memory: layer by layer with
    /// convolutions in bands (which spares the convolutions' float outputs where the neuron layers
    /// store bytes, but takes a band and keeps each convolution's input until its neuron layer is
    /// done), layer by layer with whole layers, or step by step (one membrane per neuron layer, one
    /// step of activations). Layer by layer, the neuron layers' potentials live in the threads'
    /// scratch (`LayerPlan.potentialsInScratch`).
    static func plan(model: ModelView, options: SessionOptions,
                     into plans: UnsafeMutablePointer<LayerPlan>) throws(GNError) -> ArenaLayout {
        guard options.computesInBands else { return try plan(model: model, options: options, into: plans, inBands: false) }
        var stepByStep = options
        stepByStep.schedule = .stepByStep
        let inBands = try plan(model: model, options: options, into: plans, inBands: true).totalBytes
        let whole = try plan(model: model, options: options, into: plans, inBands: false).totalBytes
        let stepByStepLayout = try plan(model: model, options: stepByStep, into: plans, inBands: false)
        if stepByStepLayout.totalBytes < min(inBands, whole) { return stepByStepLayout }
        return try plan(model: model, options: options, into: plans, inBands: inBands <= whole)
    }

    /// `plan`, computing convolutions in bands where a lean session can (`inBands`) or nowhere.
    private static func plan(model: ModelView, options: SessionOptions, into plans: UnsafeMutablePointer<LayerPlan>,
                             inBands: Bool) throws(GNError) -> ArenaLayout {
        try options.validate(for: model)
        let layerCount = model.layerCount
        let spiking = options.neuron.isSpiking
        let layerByLayer = options.computesLayerByLayer
        // With several steps, layers that depend on the input alone run once: step by step they keep
        // their output across steps; layer by layer their output holds one step, which serves all.
        let keepsStatic = spiking && options.timeSteps > 1 && !layerByLayer
        let findsStatic = spiking && options.timeSteps > 1

        // Decode layers, set neuron parameters, mark static layers.
        var neuronIndex = 0
        for index in 0..<layerCount {
            let layer = model.layer(index)
            if spiking && layer.kind == .maxPool2d {
                throw GNError(.unsupported, "max pooling has no spiking equivalent; run the model in ANN mode or convert it to average pooling", layer: index)
            }
            let input = model.shape(ofTensor: layer.inputA)
            var plan = LayerPlan(layer: layer, geometry: layer.geometry(input: input))
            if layer.kind == .conv2d || layer.kind == .linear {
                let lanes = model.weightsArePacked ? WeightLayout.packingLanes(outputChannels: layer.output.channels) : nil
                plan.weightLayout = lanes.map {
                    WeightLayout.packed(taps: max(1, layer.kernelHeight * layer.kernelWidth), inputChannels: input.channels, lanes: $0)
                } ?? WeightLayout.plain(inputChannels: input.channels, outputChannels: layer.output.channels)
            }
            if layer.kind == .qcfs {
                plan.neuron = NeuronParameters(threshold: layer.threshold, levels: layer.levels,
                                               members: options.neuron.members(tau: options.tau(ofNeuronLayer: neuronIndex)))
                // A Group Neuron's unit λ/τ must be a normal float: below, its thresholds k·u and its
                // reciprocal lose the precision the spike count is computed with (docs/semantics.md).
                if options.neuron == .groupNeuron, !plan.neuron.unit.isNormal {
                    throw GNError(.unsupported, "this Group Neuron layer's unit threshold / tau is below the smallest normal float; use a smaller tau or a larger threshold",
                                  layer: index, actual: plan.neuron.members)
                }
                plan.neuronIndex = neuronIndex
                neuronIndex += 1
            }
            let inputForm = layer.inputA == 0 ? nil : plans[layer.inputA - 1].integerForm
            plan.integerForm = integerForm(of: layer, input: inputForm, neuron: options.neuron, parameters: plan.neuron,
                                           geometry: plan.geometry)
            if layer.integerWeights != nil {
                plan.integerInput = try checkedIntegerInput(inputForm, geometry: plan.geometry, index: index)
            }
            let analogInputs = isAnalog(layer.inputA, plans) && (layer.inputB < 0 || isAnalog(layer.inputB, plans))
            plan.isAnalog = layer.kind != .qcfs && analogInputs
            plan.isStatic = findsStatic && plan.isAnalog
            plan.steps = layerByLayer && !plan.isStatic ? options.steps : 1
            plan.inputASteps = layer.inputA == 0 ? 1 : plans[layer.inputA - 1].steps
            plan.inputBSteps = layer.inputB <= 0 ? 1 : plans[layer.inputB - 1].steps
            plan.lastUse = index == layerCount - 1 ? Int.max : index
            (plans + index).initialize(to: plan)
        }

        // Last uses: a static output read by a time-dependent layer is kept across steps.
        for index in 0..<layerCount {
            let layer = plans[index].layer
            for slot in 0..<2 {
                let tensor = slot == 0 ? layer.inputA : layer.inputB
                guard tensor > 0 else { continue }
                let producer = tensor - 1
                let keep = keepsStatic && plans[producer].isStatic && !plans[index].isStatic
                plans[producer].lastUse = keep ? Int.max : max(plans[producer].lastUse, index)
            }
        }

        if inBands { try decideBands(plans, layerCount: layerCount, batch: options.batch) }
        if options.computesInBands { decideIntegerStorage(plans, layerCount: layerCount) }

        // Buffers: which outputs share a buffer (views and in-place element-wise layers), and how
        // long each buffer is read. A convolution computed in bands holds one band; an output of
        // integers, a byte per value.
        for index in 0..<layerCount {
            let owner = sharedBuffer(for: index, plans)
            if owner == newBuffer {
                plans[index].bufferOwner = index
                plans[index].bufferLastUse = plans[index].lastUse
                plans[index].bufferBytes = try bufferBytes(of: plans[index], samples: options.batch)
            } else {
                plans[index].bufferOwner = owner
                if owner >= 0 {
                    plans[owner].bufferLastUse = max(plans[owner].bufferLastUse, plans[index].lastUse)
                }
            }
        }

        // Fixed regions: input, output sum, predictions, membranes, then the static buffers kept
        // across steps (they must not share memory with anything).
        var layout = ArenaLayout()
        layout.steps = options.steps
        layout.computesLayerByLayer = layerByLayer
        layout.samplesPerPass = layerByLayer ? samplesPerPass(plans, layerCount: layerCount, options: options) : options.batch
        var cursor = SizeCursor(start: ArenaLayout.planBytes(layerCount: layerCount))
        layout.planBytes = cursor.offset
        layout.inputOffset = try cursor.take(count: options.batch, elements: model.inputShape.elementCount)
        layout.outputSumOffset = try cursor.take(count: options.batch, elements: model.outputShape.elementCount)
        layout.predictionsOffset = try cursor.take(count: options.batch, elements: layout.steps)
        layout.slotSamplesOffset = try cursor.take(count: options.batch, elements: 1)
        layout.sampleStepsOffset = try cursor.take(count: options.batch, elements: 1)
        if options.countsSpikes {
            // Int counts: one or two 4-byte elements each.
            let words = MemoryLayout<Int>.stride / 4
            let (perStep, overflow) = (words * model.neuronLayerCount).multipliedReportingOverflow(by: options.batch)
            guard !overflow else { throw SizeCursor.overflowError }
            layout.spikeCountsOffset = try cursor.take(count: layout.steps, elements: perStep)
            layout.synapticOperationsOffset = try cursor.take(count: layout.steps, elements: perStep)
            var pixels = model.inputShape.height * model.inputShape.width
            for index in 0..<layerCount {
                plans[index].fanOutIndex = pixels
                pixels += plans[index].layer.output.height * plans[index].layer.output.width
            }
            layout.fanOutCount = pixels
            layout.fanOutOffset = try cursor.take(count: pixels, elements: words)
        }
        layout.membraneOffset = cursor.offset
        if spiking && (layerByLayer || layout.steps == 1) {
            // Layer by layer (or with one step), a neuron layer takes each neuron through every step in
            // one call: its potentials live only while a task computes them, in the thread's scratch (a
            // chunk at a time), so that they never go out to memory and the arena holds none.
            for index in 0..<layerCount where plans[index].layer.kind == .qcfs { plans[index].potentialsInScratch = true }
        } else if spiking {
            for index in 0..<layerCount where plans[index].layer.kind == .qcfs {
                plans[index].membraneOffset = try cursor.take(count: options.batch, elements: plans[index].layer.output.elementCount)
            }
        }
        layout.membraneBytes = cursor.offset - layout.membraneOffset
        layout.keptOffset = cursor.offset
        for index in 0..<layerCount where isKept(index, plans) {
            plans[index].bufferOffset = try cursor.take(bytes: plans[index].bufferBytes)
        }
        layout.keptBytes = cursor.offset - layout.keptOffset
        // An add read only by the neuron layer right after it, changing over time as the neuron
        // does: the neuron computes the sum itself. (A static add must run once and keep its output.)
        for index in 1..<max(1, layerCount) where plans[index].layer.kind == .qcfs {
            let add = plans[index - 1]
            guard add.layer.kind == .add, plans[index].layer.inputA == index, add.lastUse == index,
                  add.isStatic == plans[index].isStatic, plans[index].inputASteps == add.steps else { continue }
            guard isReadOnly(byLayer: index, tensor: index, plans, layerCount: layerCount) else { continue }
            plans[index - 1].isFusedIntoNeuron = true
            // The neuron layer reads the add's inputs: their buffers live until it has run.
            func liveUntilNeuron(_ tensor: Int) {
                guard tensor > 0, plans[tensor - 1].bufferOwner >= 0 else { return }
                let owner = plans[tensor - 1].bufferOwner
                plans[owner].bufferLastUse = max(plans[owner].bufferLastUse, index)
            }
            liveUntilNeuron(add.layer.inputA)
            liveUntilNeuron(add.layer.inputB)
            plans[index].fusedAdd = index - 1
        }

        // Kernels: one per layer, from the registry, with the scratch each thread needs for it, and the
        // weights of kernels that pack them (kept for the session's life).
        let instructionSet = options.instructionSet ?? KernelRegistry.widestAvailable
        var scratchFloats = 0
        for index in 0..<layerCount {
            // Kernels for the batch, the most samples a call takes (a run with an observer takes them
            // in one pass): their scratch holds what a call of the batch needs.
            guard let query = plans[index].kernelQuery(neuron: options.neuron, batch: options.batch) else { continue }
            guard let kernel = KernelRegistry.kernel(for: query, upTo: instructionSet) else {
                throw GNError(.unsupported, "no kernel computes this layer", layer: index)
            }
            plans[index].kernel = kernel
            scratchFloats = max(scratchFloats, kernel.choice.scratchFloats)
            if kernel.choice.packedWeightBytes > 0 {
                plans[index].packedWeightsOffset = try cursor.take(count: 1, elements: (kernel.choice.packedWeightBytes + 3) / 4)
            }
        }
        // Microcontrollers have one thread and no cache for a fused job to keep outputs in: there the
        // layers run one by one, in 2 KiB less code.
        #if !hasFeature(Embedded)
        decideNeuronFusion(plans, layerCount: layerCount)
        #endif
        layout.scratchStride = try SizeCursor.bytes(count: 1, elements: scratchFloats)
        layout.scratchOffset = try cursor.take(count: options.threads, elements: layout.scratchStride / 4)
        layout.scratchBytes = cursor.offset - layout.scratchOffset
        layout.activationOffset = cursor.offset

        // Activation buffers: for a pass of samples on each thread that may run one (`samplesPerPass`),
        // then for the batch; the two never hold tensors at once, and share the region.
        var end = layout.activationOffset
        #if !hasFeature(Embedded)  // microcontrollers take one pass
        if layout.samplesPerPass < options.batch {
            for index in 0..<layerCount where plans[index].bufferOwner == index {
                plans[index].bufferBytes = try bufferBytes(of: plans[index], samples: layout.samplesPerPass)
            }
            let passEnd = try allocateActivations(plans, layerCount: layerCount, from: layout.activationOffset)
            for index in 0..<layerCount {
                resolveTensors(of: index, plans, layout)
                (plans[index].passInputAOffset, plans[index].passInputBOffset, plans[index].passOutputOffset) =
                    (plans[index].inputAOffset, plans[index].inputBOffset, plans[index].outputOffset)
                if plans[index].bufferOwner == index {
                    plans[index].bufferBytes = try bufferBytes(of: plans[index], samples: options.batch)
                }
            }
            layout.passRegionBytes = ArenaLayout.roundedUp(passEnd - layout.activationOffset)
            // A region for each thread when each can get two passes of the batch, else one.
            layout.passRegions = layout.passes(samples: options.batch) >= 2 * options.threads ? options.threads : 1
            let (passBytes, overflow) = layout.passRegionBytes.multipliedReportingOverflow(by: layout.passRegions)
            let (regionsEnd, endOverflow) = layout.activationOffset.addingReportingOverflow(passBytes)
            guard !overflow, !endOverflow else { throw SizeCursor.overflowError }
            end = regionsEnd
        }
        #endif
        end = max(end, try allocateActivations(plans, layerCount: layerCount, from: layout.activationOffset))
        layout.activationBytes = end - layout.activationOffset
        layout.totalBytes = end
        for index in 0..<layerCount { resolveTensors(of: index, plans, layout) }
        return layout
    }

    /// The samples a layer-by-layer run takes through every layer at once (`ArenaLayout.samplesPerPass`).
    /// A layer of a large batch moves its input and output, all their steps, through memory: ResNet-20
    /// at batch 32 and T = 4 writes 8 MiB per 16-channel layer, where a pass of two samples keeps them
    /// in the second level of cache (docs/benchmarks.md, "Passes of samples": about 1.05-1.10× as fast
    /// at T = 4 on one and two threads, each with passes of its own; 1.10-1.22× at T = 8). A pass
    /// reads every weight again, so passes are taken only where the activations they keep in cache
    /// outweigh the weights by 4 to 1 (ResNet-20; not VGG-16, whose 134 MB of weights each pass would
    /// read from memory: 0.77× as fast). A pass holds as many samples as keep its largest activation
    /// (all steps) within `passBytes`, at least one.
    ///
    /// The buffers of a pass are placed once more, for the pass's samples, in a region of their own
    /// (`ArenaLayout.passRegionBytes`); each thread that runs passes at once has its own region. The
    /// regions share the activation region with the batch's buffers: a run takes passes or one pass of
    /// the whole batch (with an observer set, which sees a layer's output for every sample at once).
    private static func samplesPerPass(_ plans: UnsafeMutablePointer<LayerPlan>, layerCount: Int,
                                       options: SessionOptions) -> Int {
        #if hasFeature(Embedded)
        // Microcontrollers have no second level of cache to keep a pass in: one pass, in less code.
        return options.batch
        #else
        // Sums saturated, whatever the model.
        var largest = 1, activationBytes = 0, weightBytes = 0
        for index in 0..<layerCount {
            let plan = plans[index]
            // An output kept for the whole run (the static last layer of a network without neurons)
            // is the batch's, outside the activations: one pass.
            if isKept(index, plans) { return options.batch }
            if plan.bufferOwner == index {
                largest = max(largest, plan.bufferBytes / options.batch)
                let (sum, overflow) = activationBytes.addingReportingOverflow(plan.bufferBytes / options.batch)
                activationBytes = overflow ? Int.max : sum
            }
            if plan.layer.kind == .conv2d || plan.layer.kind == .linear {
                let g = plan.geometry
                let bytes = g.kernelHeight * g.kernelWidth * g.inputChannels * g.outputChannels
                    * (plan.layer.integerWeights != nil ? 1 : 4)
                let (sum, overflow) = weightBytes.addingReportingOverflow(bytes)
                weightBytes = overflow ? Int.max : sum
            }
        }
        let samples = min(options.batch, max(1, passBytes / largest))
        let (kept, overflow) = (activationBytes / 4).multipliedReportingOverflow(by: samples)
        return overflow || weightBytes <= kept ? samples : options.batch
        #endif
    }

    /// The bytes the largest activation of a pass may take (`samplesPerPass`): a quarter of a second
    /// level of cache of 2 MiB, so that the layer's input and its weights stay in it beside its output.
    static let passBytes = 512 << 10

    /// Which convolutions compute the neuron layer that reads them in their own tasks
    /// (`LayerPlan.fusedNeuron`): each task of the convolution — some output pixels, every channel —
    /// is followed by the neuron layer's task over the same elements, while they are in cache, instead
    /// of the neuron layer reading the whole output back from memory after the convolution. The same
    /// kernels compute the same values in the same order, so results do not change. A convolution
    /// fuses with the neuron layer after it (or after an add the neuron computes, `fusedAdd`) when:
    /// - nothing else reads its output, both compute one step per call (step by step, or T = 1) and
    ///   both run at the same steps (both static or neither), and neither works in bands;
    /// - its kernel's tasks each cover every output channel (one block), so that a task's elements lie
    ///   together and the neuron layer's tasks can be cut to match, and its kernel does not gain from
    ///   computing other tasks' pixels (`KernelChoice.reordersItems`: the tiled kernel's tiles per
    ///   position, which leave out the taps on padding, a sixth of a 3 × 3 layer's over 8 × 8 maps; with
    ///   ResNet-20's such layers fused at batch 32 the network ran 2–3% slower, docs/benchmarks.md);
    /// - the neuron layer writes into a buffer that was alive while the convolution ran (its own, or
    ///   the add's other input's) and is not the convolution's input, which the other tasks still read.
    private static func decideNeuronFusion(_ plans: UnsafeMutablePointer<LayerPlan>, layerCount: Int) {
        for neuron in 1..<max(1, layerCount) where plans[neuron].layer.kind == .qcfs {
            // The layer reading the convolution: the add the neuron layer computes, or the neuron layer.
            let reader = plans[neuron].fusedAdd >= 0 ? plans[neuron].fusedAdd : neuron
            let convolution = reader - 1
            guard convolution >= 0, plans[convolution].layer.kind == .conv2d, plans[neuron].kernel != nil,
                  let kernel = plans[convolution].kernel?.choice, kernel.split.blocks == 1, !kernel.reordersItems,
                  plans[convolution].steps == 1, plans[neuron].steps == 1,
                  plans[convolution].isStatic == plans[neuron].isStatic,
                  plans[convolution].bandRows == 0, plans[neuron].bandedConvolution < 0 else { continue }
            let input = plans[convolution].layer.inputA
            let inputOwner = input == 0 ? -1 : plans[input - 1].bufferOwner
            let outputOwner = plans[neuron].bufferOwner
            guard isReadOnly(byLayer: reader, tensor: convolution + 1, plans, layerCount: layerCount),
                  outputOwner >= 0, outputOwner <= convolution, outputOwner != inputOwner else { continue }
            plans[convolution].fusedNeuron = neuron
            plans[neuron].isFusedIntoConvolution = true
        }
    }

    /// Whether layer `reader` reads tensor `tensor` (the output of layer `tensor − 1`) and no other
    /// layer does.
    private static func isReadOnly(byLayer reader: Int, tensor: Int, _ plans: UnsafeMutablePointer<LayerPlan>,
                                   layerCount: Int) -> Bool {
        for other in 0..<layerCount where plans[other].layer.inputA == tensor || plans[other].layer.inputB == tensor {
            if other != reader { return false }
        }
        return plans[reader].layer.inputA == tensor || plans[reader].layer.inputB == tensor
    }

    /// Which convolutions a lean session computes a band of rows at a time (`LayerPlan.bandRows`): those
    /// read only by the neuron layer right after them (the first reader after it is that layer, and the
    /// last one too), in bands of `bandBytes`, unless one band would hold the whole layer. Each one's
    /// input then lives until the neuron layer has taken the last band.
    private static func decideBands(_ plans: UnsafeMutablePointer<LayerPlan>, layerCount: Int, batch: Int) throws(GNError) {
        for index in 1..<max(1, layerCount) where plans[index].layer.kind == .qcfs {
            let convolution = index - 1
            let output = plans[convolution].layer.output
            guard plans[convolution].layer.kind == .conv2d, plans[index].layer.inputA == index,
                  plans[convolution].lastUse == index else { continue }
            let (images, overflow1) = batch.multipliedReportingOverflow(by: plans[convolution].steps)
            let (rowBytes, overflow2) = images.multipliedReportingOverflow(by: output.width * output.channels * MemoryLayout<Float>.stride)
            guard !overflow1, !overflow2 else { throw SizeCursor.overflowError }
            let rows = max(1, bandBytes / max(1, rowBytes))
            guard rows < output.height else { continue }
            plans[convolution].bandRows = rows
            plans[index].bandedConvolution = convolution
            let input = plans[convolution].layer.inputA
            if input > 0 { plans[input - 1].lastUse = max(plans[input - 1].lastUse, index) }
        }
    }

    /// Which outputs a lean session stores as integers, a byte per value (`LayerPlan.storesIntegers`):
    /// those of neuron layers, average pooling and flatten whose integers fit a byte (`IntegerForm`),
    /// other than the model's output, and whose every reader takes integers — an int8 layer, or an
    /// average pooling or flatten that stores integers itself.
    private static func decideIntegerStorage(_ plans: UnsafeMutablePointer<LayerPlan>, layerCount: Int) {
        // Readers come after their producers: decide from the last layer back.
        for index in stride(from: layerCount - 2, through: 0, by: -1) {
            switch plans[index].layer.kind {
            case .qcfs, .avgPool2d, .flatten: break
            default: continue
            }
            guard let form = plans[index].integerForm, form.largest <= Int(UInt8.max) else { continue }
            var read = false, readAsIntegers = true
            for reader in index + 1..<layerCount {
                let layer = plans[reader].layer
                guard layer.inputA == index + 1 || layer.inputB == index + 1 else { continue }
                read = true
                switch layer.kind {
                case .conv2d, .linear: readAsIntegers = readAsIntegers && plans[reader].integerInput != nil
                case .avgPool2d, .flatten: readAsIntegers = readAsIntegers && plans[reader].storesIntegers
                default: readAsIntegers = false
                }
            }
            plans[index].storesIntegers = read && readAsIntegers
        }
        // A pooling or flatten stores integers only from integers (its input's producer may have kept
        // floats for another reader); then it keeps floats too, which its readers take as well.
        for index in 0..<layerCount {
            let input = plans[index].layer.inputA
            plans[index].inputHoldsIntegers = input > 0 && plans[input - 1].storesIntegers
            if plans[index].layer.kind != .qcfs && !plans[index].inputHoldsIntegers { plans[index].storesIntegers = false }
        }
    }

    /// The integer form of a layer's output, given its input's: neuron layers make one; pooling and
    /// flatten keep their input's; everything else has none.
    private static func integerForm(of layer: Layer, input: IntegerForm?, neuron: NeuronKind, parameters: NeuronParameters,
                                    geometry g: WindowGeometry) -> IntegerForm? {
        switch layer.kind {
        case .qcfs:
            return IntegerForm.neuron(neuron, parameters)
        case .maxPool2d, .flatten:
            return input
        case .avgPool2d:
            return input?.averaged(over: g.kernelHeight * g.kernelWidth)
        case .globalAvgPool:
            return input?.averaged(over: g.inputHeight * g.inputWidth)
        case .conv2d, .linear, .add, .affine:
            return nil
        }
    }

    /// The integer form of the input of a layer with int8 weights, once its integers are shown to be
    /// recoverable from their floats and its int32 sums shown not to overflow (the model reader has
    /// checked that the input is integer-valued).
    private static func checkedIntegerInput(_ input: IntegerForm?, geometry g: WindowGeometry,
                                            index: Int) throws(GNError) -> IntegerForm {
        guard let input, input.isRecoverable else {
            throw GNError(.unsupported, "the integers this int8 layer reads are too large (or their scale too small or large) to carry exactly; use a smaller tau or L, or FP32 weights", layer: index)
        }
        guard input.sumFitsInt32(fanIn: g.kernelHeight * g.kernelWidth * g.inputChannels) else {
            throw GNError(.unsupported, "this int8 layer's sums could overflow int32 (fan-in x 128 x largest input integer > 2^31 - 1); use a smaller tau or L, or FP32 weights", layer: index,
                          actual: input.largest)
        }
        return input
    }

    /// The most bytes a band of a lean session's convolution takes (every step and sample of its rows),
    /// unless one row takes more: small enough for a microcontroller's memory, large enough that its
    /// kernel converts each input row for few bands.
    static let bandBytes = 16 * 1024

    /// `sharedBuffer`'s answer for a layer that needs a buffer of its own.
    private static let newBuffer = -2

    /// Whether layer `index` owns a buffer that keeps its value across steps.
    static func isKept(_ index: Int, _ plans: UnsafeMutablePointer<LayerPlan>) -> Bool {
        plans[index].bufferOwner == index && plans[index].isStatic && plans[index].bufferLastUse == Int.max
    }

    /// Whether tensor `id` depends on the model input through no neuron layer.
    static func isAnalog(_ id: Int, _ plans: UnsafePointer<LayerPlan>) -> Bool {
        id == 0 || plans[id - 1].isAnalog
    }

    /// The bytes of the buffer `plan` owns for `samples` samples (all its steps).
    private static func bufferBytes(of plan: LayerPlan, samples: Int) throws(GNError) -> Int {
        let (count, overflow) = samples.multipliedReportingOverflow(by: plan.steps)
        guard !overflow else { throw SizeCursor.overflowError }
        return try SizeCursor.bytes(count: count, elements: plan.storedElements, size: plan.storesIntegers ? 1 : 4)
    }

    /// Places the activation buffers (of `bufferBytes` each) from `start` on: first fit, in layer order,
    /// among the buffers alive at each layer. Returns where the last ends.
    private static func allocateActivations(_ plans: UnsafeMutablePointer<LayerPlan>, layerCount: Int,
                                            from start: Int) throws(GNError) -> Int {
        var liveHead = -1
        var end = start
        for index in 0..<layerCount where plans[index].bufferOwner == index && !isKept(index, plans) {
            liveHead = prune(liveHead, at: index, plans)
            let bytes = plans[index].bufferBytes
            let (offset, previous) = firstFit(bytes: bytes, from: start, liveHead: liveHead, plans)
            plans[index].bufferOffset = offset
            if previous < 0 {
                plans[index].nextLive = liveHead
                liveHead = index
            } else {
                plans[index].nextLive = plans[previous].nextLive
                plans[previous].nextLive = index
            }
            let (bufferEnd, overflow) = offset.addingReportingOverflow(bytes)
            guard !overflow else { throw SizeCursor.overflowError }
            end = max(end, bufferEnd)
        }
        return end
    }

    /// Resolves layer `index`'s output and inputs to their arena offsets in the buffers as placed.
    private static func resolveTensors(of index: Int, _ plans: UnsafeMutablePointer<LayerPlan>, _ layout: ArenaLayout) {
        let owner = plans[index].bufferOwner
        plans[index].outputOffset = owner < 0 ? layout.inputOffset : plans[owner].bufferOffset
        let layer = plans[index].layer
        plans[index].inputAOffset = offset(ofTensor: layer.inputA, plans, layout)
        plans[index].inputBOffset = layer.inputB < 0 ? -1 : offset(ofTensor: layer.inputB, plans, layout)
    }

    private static func offset(ofTensor id: Int, _ plans: UnsafeMutablePointer<LayerPlan>, _ layout: ArenaLayout) -> Int {
        id == 0 ? layout.inputOffset : plans[id - 1].outputOffset
    }

    /// The owner of an existing buffer that layer `index` may write its output into, -1 for a view
    /// of the model input, or -2 when the layer needs a buffer of its own. A flatten is a view of its
    /// input; an element-wise layer overwrites an input whose buffer nothing reads afterwards.
    private static func sharedBuffer(for index: Int, _ plans: UnsafeMutablePointer<LayerPlan>) -> Int {
        let layer = plans[index].layer
        if layer.kind == .flatten {
            return layer.inputA == 0 ? -1 : plans[layer.inputA - 1].bufferOwner
        }
        guard layer.kind.isElementwise else { return newBuffer }
        for slot in 0..<2 {
            let tensor = slot == 0 ? layer.inputA : layer.inputB
            guard tensor > 0 else { continue }
            let owner = plans[tensor - 1].bufferOwner
            // Only into an input of the same size (an input of one step cannot hold T steps, a band
            // not the whole layer).
            if owner >= 0 && plans[owner].bufferLastUse == index && plans[tensor - 1].steps == plans[index].steps
                && plans[owner].bandRows == 0 && plans[owner].storesIntegers == plans[index].storesIntegers {
                return owner
            }
        }
        return newBuffer
    }

    /// Drops from the live list the buffers no layer from `index` on reads; returns the new head.
    private static func prune(_ head: Int, at index: Int, _ plans: UnsafeMutablePointer<LayerPlan>) -> Int {
        var newHead = head
        var previous = -1
        var current = head
        while current >= 0 {
            let next = plans[current].nextLive
            if plans[current].bufferLastUse < index {
                if previous < 0 { newHead = next } else { plans[previous].nextLive = next }
            } else {
                previous = current
            }
            current = next
        }
        return newHead
    }

    /// The lowest offset where `bytes` fit between the live buffers (sorted by offset), and the live
    /// buffer after which the new one goes in that order (-1 for the front).
    private static func firstFit(bytes: Int, from start: Int, liveHead: Int,
                                 _ plans: UnsafeMutablePointer<LayerPlan>) -> (Int, Int) {
        var candidate = start
        var previous = -1
        var current = liveHead
        while current >= 0 {
            if candidate + bytes <= plans[current].bufferOffset { break }
            candidate = max(candidate, plans[current].bufferOffset + plans[current].bufferBytes)
            previous = current
            current = plans[current].nextLive
        }
        return (candidate, previous)
    }
}
