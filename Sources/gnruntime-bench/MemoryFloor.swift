// How long a convolution's data alone takes to move, to set a layer's time beside: a layer that moves
// many bytes for its multiply-adds cannot run faster than its data comes, whatever its kernel does.
import GNKernelInterface

/// The time, in seconds, to read the input values a convolution's windows touch and its weights
/// (`weightBytes` bytes each), and to write its output, over `g.batch` samples, when none of them is in
/// the second level of cache: the data of a layer whose input was written several layers before
/// (ResNet's shortcuts), whose weights were last read a run before, and whose output goes where
/// nothing recent was. No arithmetic: each value read is added into one vector, and that vector
/// stored over the output. The buffers are one of several sets used in turn, 16 MiB or more apart in
/// time, so that a set comes from the third level of cache (or memory, where that is smaller); the
/// median of `rounds` rounds over every set.
/// Unsafe pointers and SIMD on purpose: the loops should be bound by the data, not by instructions.
func memoryFloorSeconds(_ g: WindowGeometry, weightBytes: Int, rounds: Int = 5) -> Double {
    let inputFloats = g.batch * g.inputElementsPerSample, outputFloats = g.outputElements
    let weightFloats = (g.kernelHeight * g.kernelWidth * g.inputChannels * g.outputChannels * weightBytes + 3) / 4
    let setFloats = (inputFloats + outputFloats + weightFloats + 15) / 16 * 16
    let sets = max(4, ((16 << 20) / 4 + setFloats - 1) / setFloats)
    let pool = UnsafeMutablePointer<Float>.allocate(capacity: sets * setFloats + 16)
    defer { pool.deallocate() }
    // 64-byte aligned, as the runtime's arena is; every page touched before the timing.
    let base = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: pool) + 63) & ~63)!
    base.initialize(repeating: 1, count: sets * setFloats)

    // The input rows and columns some window reads: `position(output, tap)` is `g.inputRow` or
    // `g.inputColumn`.
    func touched(_ size: Int, outputs: Int, taps: Int, _ position: (Int, Int) -> Int) -> [Bool] {
        var read = [Bool](repeating: false, count: size)
        for output in 0..<outputs {
            for tap in 0..<taps where (0..<size).contains(position(output, tap)) { read[position(output, tap)] = true }
        }
        return read
    }
    let rowRead = touched(g.inputHeight, outputs: g.outputHeight, taps: g.kernelHeight, g.inputRow)
    let rows = rowRead.indices.filter { rowRead[$0] }
    let columnRead = touched(g.inputWidth, outputs: g.outputWidth, taps: g.kernelWidth, g.inputColumn)
    // Runs of floats read within an input row: the whole row when every column is read, else each
    // column read, its channels.
    let spans: [(start: Int, count: Int)] = columnRead.allSatisfy { $0 }
        ? [(0, g.inputWidth * g.inputChannels)]
        : columnRead.indices.filter { columnRead[$0] }.map { ($0 * g.inputChannels, g.inputChannels) }

    func moveOneSet(_ set: Int) -> Float {
        let input = base + set * setFloats, output = input + inputFloats, weights = output + outputFloats
        var sum = SIMD16<Float>()
        var tail: Float = 0
        var weight = 0
        while weight + 16 <= weightFloats {
            sum += UnsafeRawPointer(weights + weight).loadUnaligned(as: SIMD16<Float>.self)
            weight += 16
        }
        for sample in 0..<g.batch {
            let image = input + sample * g.inputElementsPerSample
            for row in rows {
                let rowStart = image + row * g.inputWidth * g.inputChannels
                for span in spans {
                    var index = 0
                    while index + 16 <= span.count {
                        sum += UnsafeRawPointer(rowStart + span.start + index).loadUnaligned(as: SIMD16<Float>.self)
                        index += 16
                    }
                    while index < span.count {
                        tail += rowStart[span.start + index]
                        index += 1
                    }
                }
            }
        }
        sum[0] += tail
        var index = 0
        while index + 16 <= outputFloats {
            UnsafeMutableRawPointer(output + index).storeBytes(of: sum, as: SIMD16<Float>.self)
            index += 16
        }
        while index < outputFloats {
            output[index] = sum[0]
            index += 1
        }
        return sum.sum()
    }

    var times: [Double] = []
    var checksum: Float = 0
    for round in 0...rounds {
        for set in 0..<sets {
            let start = now()
            checksum += moveOneSet(set)
            // The first round brings the pages in: not counted.
            if round > 0 { times.append(now() - start) }
        }
    }
    // Read, so that the loads are not left out.
    if checksum.isNaN { print("") }
    times.sort()
    return times[times.count / 2]
}
