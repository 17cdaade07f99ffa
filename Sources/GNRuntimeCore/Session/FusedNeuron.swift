import GNKernelInterface

/// A convolution and the neuron layer it computes task by task (`LayerPlan.fusedNeuron`): the job
/// of `FusedNeuron.run`. Each task of the convolution (some output pixels, every channel) is followed
/// by the neuron layer's task over the same elements, whose split the session cuts to match.
struct FusedNeuron {
    /// The convolution's `KernelArguments`, at the start of the job.
    var convolution: KernelArguments
    /// The neuron layer's (split by `neuronSplit`), right after: a struct's stored properties lie in
    /// order, each at the next offset its alignment allows, so this one lies one `stride` in.
    var neuron: KernelArguments
    /// The convolution's kernel and the neuron layer's.
    var convolutionFunction: TaskFunction
    var neuronFunction: TaskFunction
    /// Tasks the convolution computes before the neuron layer takes them: about `groupElements`
    /// outputs, so that they are still in cache and each call's fixed cost is spread over many.
    var group: Int
    #if !hasFeature(Embedded)  // microcontrollers time nothing (`LayerTimes`)
    /// When the session times its layers: the clock, and per worker `w` the time its convolution's
    /// tasks took at `2w` and its neuron layer's at `2w + 1`, which `run` adds to
    /// (`LayerTimes.add(since:convolution:neuron:partTimes:thread:)`).
    var timing: (clock: LayerTimes.Clock, partTimes: UnsafeMutablePointer<UInt64>)? = nil
    #endif

    /// Outputs of a group of tasks (64 KiB of floats).
    static let groupElements = 16_384

    /// The tasks of a group for a convolution whose kernel split is `split` (one block) over
    /// `outputChannels` channels: about `groupElements` outputs, at least one task.
    static func group(split: TaskSplit, outputChannels: Int) -> Int {
        max(1, groupElements / (split.itemsPerTask * outputChannels))
    }

    /// The job of a convolution (`convolution`, run by `convolutionFunction`) and the neuron layer
    /// reading it (`neuron`, split by `neuronSplit`, run by `neuronFunction`), `group` tasks at a time.
    /// The convolution keeps each task's pixels its own (`KernelArguments.keepsItemsInOrder`): the
    /// neuron layer's task takes the elements of the convolution's task of the same number.
    init(convolution: KernelArguments, neuron: KernelArguments, convolutionFunction: TaskFunction,
         neuronFunction: TaskFunction, group: Int) {
        self.convolution = convolution
        self.convolution.keepsItemsInOrder = true
        self.neuron = neuron
        self.convolutionFunction = convolutionFunction
        self.neuronFunction = neuronFunction
        self.group = group
    }

    /// The neuron layer's split for a convolution whose kernel split is `convolution` (one block):
    /// task `t` takes the elements of the convolution's task `t`, the outputs of its pixels.
    static func neuronSplit(convolution: TaskSplit, outputChannels: Int) -> TaskSplit {
        TaskSplit(itemsPerSample: convolution.itemsPerSample * outputChannels,
                  itemsPerTask: convolution.itemsPerTask * outputChannels)
    }

    /// Runs tasks `begin ..< end` of a `FusedNeuron` job, `group` at a time: the convolution's tasks,
    /// then the neuron layer's same tasks (timing each part when the job has `timing`).
    static var run: TaskFunction {
        { job, worker, begin, end in
            let fused = job.assumingMemoryBound(to: FusedNeuron.self)
            #if !hasFeature(Embedded)
            if let timing = fused.pointee.timing {
                return FusedNeuron.runTimed(fused, worker: worker, begin: begin, end: end, clock: timing.clock,
                                            into: timing.partTimes + 2 * worker)
            }
            #endif
            let convolution = job, neuron = job + MemoryLayout<KernelArguments>.stride
            var first = begin
            while first < end {
                let last = min(end, first + fused.pointee.group)
                fused.pointee.convolutionFunction(convolution, worker, first, last)
                fused.pointee.neuronFunction(neuron, worker, first, last)
                first = last
            }
        }
    }

    #if !hasFeature(Embedded)
    /// `run`, reading `clock` before the first group and after each part of every group: adds the
    /// convolution's time to `times[0]` and the neuron layer's to `times[1]`.
    private static func runTimed(_ fused: UnsafePointer<FusedNeuron>, worker: Int, begin: Int, end: Int,
                                 clock: LayerTimes.Clock, into times: UnsafeMutablePointer<UInt64>) {
        let convolution = UnsafeRawPointer(fused), neuron = convolution + MemoryLayout<KernelArguments>.stride
        var first = begin, before = clock()
        while first < end {
            let last = min(end, first + fused.pointee.group)
            fused.pointee.convolutionFunction(convolution, worker, first, last)
            let between = clock()
            fused.pointee.neuronFunction(neuron, worker, first, last)
            let after = clock()
            times[0] &+= between &- before
            times[1] &+= after &- between
            first = last
            before = after
        }
    }
    #endif
}
