import GNKernelInterface

/// The kernel a layer runs: a variant's `KernelChoice` and the instruction set of that variant,
/// recorded in the layer's plan when the session is planned.
struct LayerKernel {
    /// Computes tasks of the layer; its job is a `KernelArguments`.
    var function: TaskFunction
    /// How a call divides into tasks.
    var split: TaskSplit
    /// Floats of scratch one thread needs.
    var scratchFloats: Int
    /// The kernel's name (`"conv2d.tiled32"`).
    var name: StaticString
    /// The instruction set the kernel was compiled for.
    var instructionSet: InstructionSet

    init(_ choice: KernelChoice, instructionSet: InstructionSet) {
        function = choice.function
        split = choice.split
        scratchFloats = choice.scratchFloats
        name = choice.name
        self.instructionSet = instructionSet
    }
}
