import GNKernelInterface

/// Early exit: after each step of a run, the samples whose running prediction is settled under the
/// session's `ExitRule` stop. The samples still running are kept in the first slots of every per-sample
/// buffer that lives across steps, so that each layer computes only them.
extension Session {
    /// Stops the settled samples among the first `active` slots after step `step`; returns how many
    /// still run. A stopped sample's predictions for the remaining steps repeat its last one.
    func stopSettledSamples(after step: Int, active: Int) -> Int {
        var running = active
        let slots = int32s(at: layout.slotSamplesOffset)
        let predictions = int32s(at: layout.predictionsOffset)
        let sampleSteps = int32s(at: layout.sampleStepsOffset)
        // From the last slot down, so that the slot a stopped sample swaps with has been decided.
        for slot in stride(from: active - 1, through: 0, by: -1) where isSettled(slot: slot, step: step) {
            let sample = Int(slots[slot])
            sampleSteps[sample] = Int32(truncatingIfNeeded: step + 1)
            let prediction = predictions[step * samples + sample]
            for later in (step + 1)..<layout.steps { predictions[later * samples + sample] = prediction }
            running -= 1
            if slot != running { swapSlots(slot, running) }
        }
        return running
    }

    /// Whether the sample in `slot` is settled after `step`.
    private func isSettled(slot: Int, step: Int) -> Bool {
        switch exitRule {
        case .none:
            return false
        case .margin:
            let scores = floats(at: layout.outputSumOffset) + slot * outputElements
            guard outputElements > 1 else { return true }
            var first = -Float.infinity
            var second = -Float.infinity
            for index in 0..<outputElements {
                let score = scores[index]
                if score > first {
                    second = first
                    first = score
                } else if score > second {
                    second = score
                }
            }
            return (first - second) / Float(step + 1) > exitMargin
        case .stable:
            guard step + 1 >= exitSteps else { return false }
            let predictions = int32s(at: layout.predictionsOffset)
            let sample = Int(int32s(at: layout.slotSamplesOffset)[slot])
            let current = predictions[step * samples + sample]
            for earlier in (step + 1 - exitSteps)..<step where predictions[earlier * samples + sample] != current {
                return false
            }
            return true
        }
    }

    /// Exchanges two slots in every per-sample buffer that lives across steps: the input, the output
    /// sum, the membrane potentials, the outputs kept across steps, and the slot's sample.
    private func swapSlots(_ a: Int, _ b: Int) {
        swapFloats(at: layout.inputOffset, stride: inputElements, a, b)
        swapFloats(at: layout.outputSumOffset, stride: outputElements, a, b)
        for index in 0..<model.layerCount {
            let plan = plans[index]
            if plan.membraneOffset >= 0 { swapFloats(at: plan.membraneOffset, stride: plan.layer.output.elementCount, a, b) }
            if Planner.isKept(index, plans) { swapFloats(at: plan.bufferOffset, stride: plan.layer.output.elementCount, a, b) }
        }
        let slots = int32s(at: layout.slotSamplesOffset)
        (slots[a], slots[b]) = (slots[b], slots[a])
    }

    private func swapFloats(at offset: Int, stride: Int, _ a: Int, _ b: Int) {
        let base = floats(at: offset)
        for index in 0..<stride { (base[a * stride + index], base[b * stride + index]) = (base[b * stride + index], base[a * stride + index]) }
    }
}
