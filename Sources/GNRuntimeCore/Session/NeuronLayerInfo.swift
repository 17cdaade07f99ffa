/// What a neuron layer of a session that counts spikes is, for turning its counts into rates and
/// operations.
public struct NeuronLayerInfo: Sendable {
    /// The index of the layer in the model.
    public let layer: Int
    /// Neurons of one sample.
    public let neurons: Int
    /// Members per neuron: τ for Group Neurons, 1 for IF neurons. A member fires at most once per step.
    public let members: Int
    /// The synaptic operations of one sample if each of its neurons spiked once (the sum of the fan-outs).
    public let synapses: Int
}
