/// Fully connected layer: `output[n][o] = bias[o] + Σ_i input[n][i] · weights[i][o]`, the sum in
/// ascending `i` with `multiplyAdd`, zero inputs skipped (which changes no result: weights are finite).
enum Linear {
    /// The reference kernel.
    static func reference(batch: Int, inputCount: Int, outputCount: Int, input: UnsafePointer<Float>,
                          weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>) {
        for sample in 0..<batch {
            let out = output + sample * outputCount
            if let bias {
                out.update(from: bias, count: outputCount)
            } else {
                out.update(repeating: 0, count: outputCount)
            }
            Convolution.accumulate(input + sample * inputCount, count: inputCount, rows: weights,
                                   width: outputCount, stride: outputCount, into: out)
        }
    }

    /// Outputs per task of `blocked`: four vectors of 16 held in registers.
    static let outputsPerTask = 64

    /// Tasks of `blocked`: samples × runs of `outputsPerTask` outputs.
    static func taskCount(batch: Int, outputCount: Int) -> Int {
        batch * ((outputCount + outputsPerTask - 1) / outputsPerTask)
    }

    /// A matrix-vector kernel for few samples: each task keeps 64 outputs of one sample in registers
    /// while it streams the rows of the weights it needs, skipping the rows of zero inputs (spikes are
    /// sparse). Bit for bit the reference. `layout` orders `weights` (packed ones come in whole blocks
    /// of 16 or 32). Unsafe pointers and SIMD on purpose: the hot loop.
    static func blocked(batch: Int, inputCount: Int, outputCount: Int, tasks: Range<Int>, input: UnsafePointer<Float>,
                        weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
                        output: UnsafeMutablePointer<Float>) {
        typealias Vector = SIMD16<Float>
        let runs = (outputCount + outputsPerTask - 1) / outputsPerTask
        for task in tasks {
            let sample = task / runs
            let first = (task % runs) * outputsPerTask
            let x = input + sample * inputCount
            let out = output + sample * outputCount + first
            let count = min(outputsPerTask, outputCount - first)
            func load(_ pointer: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }
            if count < outputsPerTask {
                // The last, partial run of outputs.
                if layout.blockStride == 0 {
                    if let bias {
                        out.update(from: bias + first, count: count)
                    } else {
                        out.update(repeating: 0, count: count)
                    }
                    Convolution.accumulate(x, count: inputCount, rows: weights + first, width: count,
                                           stride: outputCount, into: out)
                } else {
                    // Packed weights come in whole blocks of 16: one vector at a time.
                    for group in stride(from: 0, to: count, by: 16) {
                        var sum = bias.map { load($0 + first + group) } ?? Vector()
                        let w = weights + layout.offset(channel: first + group, tap: 0)
                        for index in 0..<inputCount where x[index] != 0 {
                            sum = multiplyAdd(sum, Vector(repeating: x[index]), load(w + index * layout.channelStride))
                        }
                        UnsafeMutableRawPointer(out + group).storeBytes(of: sum, as: Vector.self)
                    }
                }
                continue
            }
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
            if let bias {
                a0 = load(bias + first)
                a1 = load(bias + first + 16)
                a2 = load(bias + first + 32)
                a3 = load(bias + first + 48)
            }
            // The weights of each 16 outputs, input by input.
            let w0 = weights + layout.offset(channel: first, tap: 0)
            let w1 = weights + layout.offset(channel: first + 16, tap: 0)
            let w2 = weights + layout.offset(channel: first + 32, tap: 0)
            let w3 = weights + layout.offset(channel: first + 48, tap: 0)
            let stride = layout.channelStride
            for index in 0..<inputCount {
                let value = x[index]
                if value != 0 {
                    let broadcast = Vector(repeating: value)
                    let row = index * stride
                    a0 = multiplyAdd(a0, broadcast, load(w0 + row))
                    a1 = multiplyAdd(a1, broadcast, load(w1 + row))
                    a2 = multiplyAdd(a2, broadcast, load(w2 + row))
                    a3 = multiplyAdd(a3, broadcast, load(w3 + row))
                }
            }
            let target = UnsafeMutableRawPointer(out)
            target.storeBytes(of: a0, as: Vector.self)
            (target + 64).storeBytes(of: a1, as: Vector.self)
            (target + 128).storeBytes(of: a2, as: Vector.self)
            (target + 192).storeBytes(of: a3, as: Vector.self)
        }
    }
}
