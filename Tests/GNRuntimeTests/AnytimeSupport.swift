import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// What a run of a session reports beyond its output, for the tests of spike accounting, early exit
/// and streams.
struct AnytimeRun {
    /// `samples × output elements`, NCHW.
    var output: [Float]
    /// `[step][sample]`.
    var predictions: [Int32]
    /// The steps each sample ran.
    var sampleSteps: [Int32]
    /// `[step][neuron layer][sample]`, when the session counts spikes; else empty.
    var spikes: [Int]
    var synapticOperations: [Int]
}

extension SessionHandle {
    /// Runs `input` (`samples` samples) and collects what the session reports.
    func anytimeRun(_ input: [Float], samples: Int) throws -> AnytimeRun {
        var output = [Float](repeating: .nan, count: samples * session.model.outputShape.elementCount)
        try input.withUnsafeBufferPointer { inputBuffer in
            try output.withUnsafeMutableBufferPointer { try session.run(input: inputBuffer, samples: samples, output: $0) }
        }
        return try report(output: output)
    }

    /// What the session reports of its last run or stream, with `output`.
    func report(output: [Float]) throws -> AnytimeRun {
        let samples = session.samples
        var predictions = [Int32](repeating: -1, count: session.stepsTaken * samples)
        try predictions.withUnsafeMutableBufferPointer { try session.predictions(into: $0) }
        var sampleSteps = [Int32](repeating: -1, count: samples)
        try sampleSteps.withUnsafeMutableBufferPointer { try session.sampleSteps(into: $0) }
        var spikes: [Int] = []
        var operations: [Int] = []
        if session.countsSpikes {
            let count = session.stepsTaken * session.model.neuronLayerCount * samples
            spikes = [Int](repeating: -1, count: count)
            operations = [Int](repeating: -1, count: count)
            try spikes.withUnsafeMutableBufferPointer { spikeBuffer in
                try operations.withUnsafeMutableBufferPointer {
                    try session.spikeCounts(spikes: spikeBuffer, synapticOperations: $0)
                }
            }
        }
        return AnytimeRun(output: output, predictions: predictions, sampleSteps: sampleSteps, spikes: spikes,
                          synapticOperations: operations)
    }
}

/// A session of `model` under `options` changed by `change`.
func session(_ model: ModelHandle, _ options: SessionOptions, _ change: (inout SessionOptions) -> Void = { _ in }) throws -> SessionHandle {
    var changed = options
    change(&changed)
    return try SessionHandle.create(model: model, options: changed)
}
