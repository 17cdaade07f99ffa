/// A kernel variant's answer to a `KernelQuery`: the function that computes the layer, how a call
/// divides into tasks, and the scratch memory each thread running it needs. The planner records it
/// in the layer's plan; the session calls it.
public struct KernelChoice: Sendable {
    /// Computes tasks of the layer; its job is a `KernelArguments`.
    public var function: TaskFunction
    /// How a call divides into tasks.
    public var split: TaskSplit
    /// Floats of scratch memory one thread needs, 64-byte aligned, private to it for the call.
    public var scratchFloats: Int
    /// The kernel's name, for introspection: operation and method (`"conv2d.tiled8x32"`).
    public var name: StaticString

    /// A choice from its parts.
    @inlinable
    public init(function: TaskFunction, split: TaskSplit, scratchFloats: Int = 0, name: StaticString) {
        self.function = function
        self.split = split
        self.scratchFloats = scratchFloats
        self.name = name
    }
}
