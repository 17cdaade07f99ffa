// The peers (benchmarks/peers.py): the PyTorch pipeline and ONNX Runtime, run by another Python.
#if canImport(Glibc)
import Glibc
#endif

/// The peers' median seconds by configuration key (`Case.peerKey`, `Case.annKey`), from
/// benchmarks/peers.py run by `python` with `repetitions` runs each; empty, with a line printed, when
/// the script cannot run.
func runPeers(python: String, keys: [String], repetitions: Int) -> [String: Double] {
    let script = "benchmarks/peers.py"
    let keys = keys.joined(separator: ",")
    let command = "\(python) \(script) --cases \(keys) --reps \(repetitions) 2>/dev/null"
    guard let pipe = popen(command, "r") else { print("peers: cannot start \(python)"); return [:] }
    var text = ""
    var buffer = [CChar](repeating: 0, count: 4096)
    while fgets(&buffer, Int32(buffer.count), pipe) != nil { text += buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }
    let status = pclose(pipe)
    if status != 0 { print("peers: \(script) failed (\(status))") }
    // Lines "key milliseconds".
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count == 2, let value = Double(fields[1]) { result[String(fields[0])] = value / 1000 }
    }
    return result
}
