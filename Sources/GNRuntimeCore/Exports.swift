// The core's public API speaks in the kernel interface's types (NeuronKind, InstructionSet,
// WindowGeometry, …): importing the core imports them.
@_exported import GNKernelInterface
