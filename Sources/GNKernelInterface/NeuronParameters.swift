/// What a neuron layer's update rule reads besides its input and potentials: the QCFS layer's
/// trained threshold `λ` and levels `L`, and the members of each neuron (`NeuronKind.members`).
public struct NeuronParameters: Sendable {
    /// The threshold `λ`.
    public let threshold: Float
    /// The QCFS levels `L`.
    public let levels: Int
    /// Members per neuron: τ for a Group Neuron, 1 for an IF neuron, 0 for QCFS.
    public let members: Int

    /// The value of one spike, `λ / members`: a Group Neuron's unit `u = λ/τ`, an IF neuron's `λ`.
    @inlinable
    public var unit: Float { threshold / Float(members) }

    /// Parameters from their values.
    @inlinable
    public init(threshold: Float, levels: Int, members: Int) {
        self.threshold = threshold
        self.levels = levels
        self.members = members
    }
}
