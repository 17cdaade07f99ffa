import GNKernelInterface

/// Spike accounting: per neuron layer, step and sample, the spikes emitted and the synaptic operations
/// they cause (`OperationCount`), recorded when the session was created with `countsSpikes`.
extension Session {
    /// Counts the spikes of neuron layer `index` at `step` in `output` (the outputs of the samples in
    /// `slots`, one after another) and records them under each slot's sample.
    func recordSpikes(of index: Int, step: Int, slots: Range<Int>, output: UnsafePointer<Float>) {
        let plan = plans[index]
        let shape = plan.layer.output
        recordSpikes(of: index, step: step, slots: slots) { slot, fanOut in
            SpikeCount.count(output + slot * shape.elementCount, pixels: shape.height * shape.width, channels: shape.channels,
                             unit: plan.neuron.unit, members: plan.neuron.members, fanOut: fanOut)
        }
    }

    /// `recordSpikes` from an output that holds each neuron's spikes as a byte.
    func recordSpikes(of index: Int, step: Int, slots: Range<Int>, integers: UnsafePointer<UInt8>) {
        let shape = plans[index].layer.output
        recordSpikes(of: index, step: step, slots: slots) { slot, fanOut in
            SpikeCount.count(integers + slot * shape.elementCount, pixels: shape.height * shape.width, channels: shape.channels,
                             fanOut: fanOut)
        }
    }

    /// Records, for each slot of `slots`, what `count(position, fanOut)` counts (`position`: the slot's
    /// place in `slots`, where its output lies).
    private func recordSpikes(of index: Int, step: Int, slots: Range<Int>,
                              count: (_ slot: Int, _ fanOut: UnsafePointer<Int>) -> (spikes: Int, synapticOperations: Int)) {
        let plan = plans[index]
        let fanOut = UnsafePointer(ints(at: layout.fanOutOffset) + plan.fanOutIndex)
        let row = (step * model.neuronLayerCount + plan.neuronIndex) * samples
        let spikes = ints(at: layout.spikeCountsOffset) + row
        let operations = ints(at: layout.synapticOperationsOffset) + row
        let samplesOfSlots = int32s(at: layout.slotSamplesOffset)
        for slot in slots {
            let counted = count(slot - slots.lowerBound, fanOut)
            let sample = Int(samplesOfSlots[slot])
            spikes[sample] = counted.spikes
            operations[sample] = counted.synapticOperations
        }
    }

    /// Copies the spikes and the synaptic operations of the last run or of the stream so far,
    /// `[step][neuron layer][sample]`, into `spikes` and `synapticOperations`, each exactly
    /// `steps × neuron layers × samples` values. Steps a sample did not compute count 0.
    public func spikeCounts(spikes: UnsafeMutableBufferPointer<Int>,
                            synapticOperations: UnsafeMutableBufferPointer<Int>) throws(GNError) {
        guard countsSpikes else { throw GNError(.unsupported, "the session does not count spikes (count_spikes was off)") }
        try requireResult()
        let count = stepsTaken * model.neuronLayerCount * samples
        guard spikes.count == count, synapticOperations.count == count,
              let spikeTarget = spikes.baseAddress, let operationTarget = synapticOperations.baseAddress else {
            throw GNError(.sizeMismatch, "counts must hold steps x neuron layers x samples values", expected: count,
                          actual: spikes.count == count ? synapticOperations.count : spikes.count)
        }
        spikeTarget.update(from: ints(at: layout.spikeCountsOffset), count: count)
        operationTarget.update(from: ints(at: layout.synapticOperationsOffset), count: count)
    }

    /// Neuron layer `neuronIndex` (0 ..< the model's QCFS layer count) of a session that counts spikes.
    public func neuronLayer(_ neuronIndex: Int) throws(GNError) -> NeuronLayerInfo {
        guard countsSpikes else { throw GNError(.unsupported, "the session does not count spikes (count_spikes was off)") }
        guard (0..<model.neuronLayerCount).contains(neuronIndex) else {
            throw GNError(.outOfRange, "neuron layer index is past the last qcfs layer", expected: model.neuronLayerCount, actual: neuronIndex)
        }
        var index = 0
        while plans[index].neuronIndex != neuronIndex { index += 1 }
        let plan = plans[index]
        return NeuronLayerInfo(layer: index, neurons: plan.layer.output.elementCount, members: plan.neuron.members,
                               synapses: plan.synapses)
    }
}
