import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
@testable import GNKernelsBaseline

/// The neurons against sequences worked out by hand (docs/semantics.md).
final class NeuronTests: XCTestCase {
    /// Runs one Group Neuron over `inputs`, returning the spike counts per step and the final potential.
    private func groupNeuron(members: Int, threshold: Float, inputs: [Float]) -> (spikes: [Float], potential: Float) {
        var membrane: Float = 0
        GroupNeuron.reset(&membrane, count: 1, members: members, threshold: threshold)
        let unit = threshold / Float(members)
        var spikes: [Float] = []
        for var x in inputs {
            var out: Float = -1
            GroupNeuron.step(&x, membrane: &membrane, into: &out, count: 1, members: members, threshold: threshold)
            spikes.append(out / unit)
        }
        return (spikes, membrane)
    }

    func testGroupNeuronSequence() {
        // τ = 2, λ = 1: u = 0.5, v starts at 0.25. Input 0.3 each step:
        // v = 0.55 → 1 spike (0.55 ≥ 0.5), v = 0.05; v = 0.35 → 0; v = 0.65 → 1, v = 0.15; v = 0.45 → 0.
        let result = groupNeuron(members: 2, threshold: 1, inputs: [0.3, 0.3, 0.3, 0.3])
        XCTAssertEqual(result.spikes, [1, 0, 1, 0])
        XCTAssertEqual(result.potential, 0.45, accuracy: 1e-6)
    }

    func testGroupNeuronAtExactThresholds() {
        // τ = 4, λ = 1: u = 0.25, v starts at 0.125.
        // 0.375 → v = 0.5 = 2u exactly: members 1 and 2 fire (v ≥ k·u), v = 0.
        // 0.375 → v = 0.375: 1 spike, v = 0.125.
        // 0.875 → v = 1.0 = 4u: all 4 fire, v = 0.
        // 1.25 → v = 1.25: at most τ = 4 spikes, v = 0.25.
        // −0.5 → v = −0.25: none. 0.25 → v = 0: none (0 < u).
        let result = groupNeuron(members: 4, threshold: 1, inputs: [0.375, 0.375, 0.875, 1.25, -0.5, 0.25])
        XCTAssertEqual(result.spikes, [2, 1, 4, 4, 0, 0])
        XCTAssertEqual(result.potential, 0)
    }

    /// The definition itself: the number of members k in 1 … τ with v ≥ fl(k·u).
    private func membersReached(_ potential: Float, unit: Float, members: Int) -> Int {
        (1...members).filter { potential >= Float($0) * unit }.count
    }

    func testMemberComparisonIsTheDefinition() {
        // τ = 7, λ = 1: u = fl(1/7). Put v exactly on θ7 = fl(7·u): all seven members fire, whatever
        // fl(v/u) says.
        let unit = GroupNeuron.unit(members: 7, threshold: 1)
        XCTAssertEqual(GroupNeuron.spikeCount(potential: Float(7) * unit, unit: unit, reciprocal: 1 / unit, members: 7), 7)
        XCTAssertEqual(GroupNeuron.spikeCount(potential: .infinity, unit: unit, reciprocal: 1 / unit, members: 7), 7)
        XCTAssertEqual(GroupNeuron.spikeCount(potential: .nan, unit: unit, reciprocal: 1 / unit, members: 7), 0)
        XCTAssertEqual(GroupNeuron.spikeCount(potential: -.infinity, unit: unit, reciprocal: 1 / unit, members: 7), 0)
        // Every τ and several λ: at every threshold, just below and above it, and at random points,
        // both the vector code of `step` and its one-value tail agree with the definition.
        var random = SeededRandom(seed: 5)
        for members in 1...NeuronKind.maxTau {
            for threshold: Float in [1, 0.7, 1.5923, 3, 0.1] {
                let unit = GroupNeuron.unit(members: members, threshold: threshold)
                var potentials: [Float] = [0, -0.0, -unit, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
                for k in 0...(members + 1) {
                    let theta = Float(k) * unit
                    potentials += [theta, theta.nextDown, theta.nextUp]
                }
                potentials += (0..<40).map { _ in random.symmetric(1.3 * threshold) }
                // v = 0 + x: membranes start at 0, inputs carry the potential.
                var membrane = [Float](repeating: 0, count: potentials.count)
                var output = [Float](repeating: .nan, count: potentials.count)
                GroupNeuron.step(potentials, membrane: &membrane, into: &output, count: potentials.count,
                                 members: members, threshold: threshold)
                for (index, potential) in potentials.enumerated() {
                    let expected = membersReached(potential, unit: unit, members: members)
                    XCTAssertEqual(GroupNeuron.spikeCount(potential: potential, unit: unit, reciprocal: 1 / unit,
                                                          members: Float(members)),
                                   Float(expected), "τ = \(members), λ = \(threshold), v = \(potential)")
                    // Bit for bit, signs of zero included: no spike is +0 (v = −0 too), and v − s·u keeps −0.
                    XCTAssertEqual(output[index].bitPattern, (Float(expected) * unit).bitPattern,
                                   "τ = \(members), λ = \(threshold), v = \(potential)")
                    // The potential is 0 + x (+0 for x = −0).
                    XCTAssertEqual(membrane[index].bitPattern, ((0 + potential) - Float(expected) * unit).bitPattern)
                    // One neuron alone takes the one-at-a-time path (microcontrollers' only one): for
                    // τ ≤ 8 the comparison with each threshold, else the guess and its corrections.
                    var alone: Float = 0, aloneOutput: Float = .nan
                    GroupNeuron.step([potential], membrane: &alone, into: &aloneOutput, count: 1, members: members, threshold: threshold)
                    XCTAssertEqual(aloneOutput.bitPattern, (Float(expected) * unit).bitPattern,
                                   "alone: τ = \(members), λ = \(threshold), v = \(potential)")
                    XCTAssertEqual(alone.bitPattern, ((0 + potential) - Float(expected) * unit).bitPattern)
                }
                // v = −0 (membrane and input −0), 16 neurons (the vector path) and one: no spike, +0.
                for count in [16, 1] {
                    var negativeZero = [Float](repeating: -0.0, count: count), zeroOutput = [Float](repeating: .nan, count: count)
                    GroupNeuron.step([Float](repeating: -0.0, count: count), membrane: &negativeZero, into: &zeroOutput,
                                     count: count, members: members, threshold: threshold)
                    XCTAssertEqual(zeroOutput.map(\.bitPattern), [UInt32](repeating: 0, count: count), "v = −0, τ = \(members)")
                    XCTAssertEqual(negativeZero.map(\.bitPattern), [UInt32](repeating: (-0.0 as Float).bitPattern, count: count))
                }
                // Past the finite values: +∞ reaches every member, −∞ and NaN none.
                for (potential, expected) in [(Float.infinity, members), (-Float.infinity, 0), (Float.nan, 0)] {
                    var alone: Float = 0, aloneOutput: Float = .nan
                    GroupNeuron.step([potential], membrane: &alone, into: &aloneOutput, count: 1, members: members, threshold: threshold)
                    XCTAssertEqual(aloneOutput, Float(expected) * unit, "alone: τ = \(members), v = \(potential)")
                }
            }
        }
    }

    func testVectorAndScalarPathsAgree() {
        // 16-wide steps and the one-at-a-time tail give the same results (counts not multiples of 16).
        var random = SeededRandom(seed: 8)
        for count in [1, 15, 16, 17, 33, 100] {
            let inputs = (0..<count).map { _ in random.symmetric(2) }
            for neuron in 0..<3 {
                var membraneAll = [Float](repeating: 0.3, count: count), membraneOne = membraneAll
                var all = [Float](repeating: .nan, count: count), one = all
                for step in 0..<3 {
                    _ = step
                    switch neuron {
                    case 0:
                        GroupNeuron.step(inputs, membrane: &membraneAll, into: &all, count: count, members: 5, threshold: 1.3)
                    case 1:
                        IntegrateAndFire.step(inputs, membrane: &membraneAll, into: &all, count: count, threshold: 1.3)
                    default:
                        QCFS.apply(inputs, into: &all, count: count, levels: 5, threshold: 1.3)
                    }
                    for index in 0..<count {
                        // One value at a time: the tail path.
                        var x = inputs[index], out: Float = .nan
                        switch neuron {
                        case 0:
                            GroupNeuron.step(&x, membrane: &membraneOne[index], into: &out, count: 1, members: 5, threshold: 1.3)
                        case 1:
                            IntegrateAndFire.step(&x, membrane: &membraneOne[index], into: &out, count: 1, threshold: 1.3)
                        default:
                            QCFS.apply(&x, into: &out, count: 1, levels: 5, threshold: 1.3)
                        }
                        one[index] = out
                    }
                    XCTAssertEqual(all, one, "neuron \(neuron), count \(count)")
                    XCTAssertEqual(membraneAll, membraneOne, "neuron \(neuron), count \(count)")
                }
            }
        }
    }

    func testIntegrateAndFireSequence() {
        // λ = 1, v starts at 0.5. Inputs 0.3, 0.3, 0.4, 0.5, 2.0:
        // v = 0.8 → 0; v = 1.1 → spike, v = 0.1; v = 0.5 → 0; v = 1.0 → spike (v ≥ λ), v = 0;
        // v = 2.0 → one spike only, v = 1.0.
        var membrane: Float = 0
        IntegrateAndFire.reset(&membrane, count: 1, threshold: 1)
        XCTAssertEqual(membrane, 0.5)
        var outputs: [Float] = []
        for var x: Float in [0.3, 0.3, 0.4, 0.5, 2.0] {
            var out: Float = -1
            IntegrateAndFire.step(&x, membrane: &membrane, into: &out, count: 1, threshold: 1)
            outputs.append(out)
        }
        XCTAssertEqual(outputs, [0, 1, 0, 1, 1])
        XCTAssertEqual(membrane, 1.0, accuracy: 1e-6)
    }

    func testQCFSValues() {
        func qcfs(_ x: Float, _ levels: Int, _ threshold: Float) -> Float {
            var input = x
            var out: Float = -1
            QCFS.apply(&input, into: &out, count: 1, levels: levels, threshold: threshold)
            return out
        }
        // L = 4, λ = 1: steps of 0.25; x·4 + 0.5 floored.
        XCTAssertEqual(qcfs(0.125, 4, 1), 0.25)     // 1.0 → 1: exactly on the rounding boundary
        XCTAssertEqual(qcfs(0.1249, 4, 1), 0)       // 0.9996 → 0
        XCTAssertEqual(qcfs(0.6, 4, 1), 0.5)        // 2.9 → 2
        XCTAssertEqual(qcfs(-3, 4, 1), 0)           // clamped below
        XCTAssertEqual(qcfs(7, 4, 1), 1)            // clamped at λ
        // L = 3, λ = 1.5: (0.25·3)/1.5 + 0.5 = 1.0 → q = 1 → (1·1.5)/3 = 0.5.
        XCTAssertEqual(qcfs(0.25, 3, 1.5), 0.5)
        XCTAssertEqual(qcfs(.nan, 3, 1.5), 0)
    }

    func testInPlaceStepsMatchSeparateBuffers() {
        var random = SeededRandom(seed: 3)
        let inputs = (0..<257).map { _ in random.symmetric(2) }
        var membraneA = [Float](repeating: 0, count: inputs.count)
        var membraneB = membraneA
        GroupNeuron.reset(&membraneA, count: inputs.count, members: 5, threshold: 1.5)
        GroupNeuron.reset(&membraneB, count: inputs.count, members: 5, threshold: 1.5)
        var separate = [Float](repeating: 0, count: inputs.count)
        var inPlace = inputs
        GroupNeuron.step(inputs, membrane: &membraneA, into: &separate, count: inputs.count, members: 5, threshold: 1.5)
        inPlace.withUnsafeMutableBufferPointer { buffer in
            GroupNeuron.step(buffer.baseAddress!, membrane: &membraneB, into: buffer.baseAddress!,
                             count: buffer.count, members: 5, threshold: 1.5)
        }
        XCTAssertEqual(separate, inPlace)
        XCTAssertEqual(membraneA, membraneB)
    }
}
