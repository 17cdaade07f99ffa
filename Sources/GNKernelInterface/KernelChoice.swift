/// A kernel variant's answer to a `KernelQuery`: the function that computes the layer, how a call
/// divides into tasks, and the scratch memory each thread running it needs. The planner records it
/// in the layer's plan; the session calls it.
public struct KernelChoice: Sendable {
    /// Computes tasks of the layer; its job is a `KernelArguments`.
    public let function: TaskFunction
    /// How a call divides into tasks.
    public let split: TaskSplit
    /// Floats of scratch memory one thread needs, 64-byte aligned, private to it for the call.
    public let scratchFloats: Int
    /// The kernel's name, for introspection: operation and method (`"conv2d.tiled8x32"`).
    public var name: StaticString
    /// Bytes of the layer's weights in the kernel's own order (64-byte aligned, kept for the session's
    /// life), which `packWeights` writes once when the session is created; 0 when the kernel reads the
    /// model's weights as they are.
    public let packedWeightBytes: Int
    /// Writes the packed weights: reads the weights of its `KernelArguments` job, writes
    /// `packedWeightBytes` bytes at the destination.
    public let packWeights: PackFunction?
    /// Whether the kernel is faster when a task may compute other tasks' items than its own, which it
    /// does unless its arguments ask it to keep them in order (`KernelArguments.keepsItemsInOrder`):
    /// the planner then leaves the layer's neuron layer to run on its own rather than in the
    /// convolution's tasks (`ConvolutionTiled.positionTilesEnd`).
    public let reordersItems: Bool

    /// A choice from its parts.
    @inlinable
    public init(function: TaskFunction, split: TaskSplit, scratchFloats: Int = 0, name: StaticString,
                packedWeightBytes: Int = 0, packWeights: PackFunction? = nil, reordersItems: Bool = false) {
        self.function = function
        self.split = split
        self.scratchFloats = scratchFloats
        self.name = name
        self.packedWeightBytes = packedWeightBytes
        self.packWeights = packWeights
        self.reordersItems = reordersItems
    }
}
