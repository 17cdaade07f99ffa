import Foundation
import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The model file: round trip through the builder, loading from a path, borrowing bytes in place,
/// introspection, lifetime, and corruption.
final class ModelFileTests: XCTestCase {
    /// A small model with every layer kind a spiking session runs, and a bias-less conv.
    private func smallModel() throws -> [UInt8] {
        var b = ModelBuilder(input: TensorShape(channels: 2, height: 4, width: 4))
        var x = try b.conv2d(b.input, outputChannels: 3, window: Window(kernel: 3, stride: 1, padding: 1),
                             weights: (0..<54).map { Float($0 % 7 - 3) / 8 }, bias: [0.25, -0.125, 0.5])
        x = try b.affine(x, scale: [1, 0.5, 2], shift: [0, 0.125, -0.25])
        x = try b.qcfs(x, levels: 4, threshold: 1)
        let y = try b.conv2d(x, outputChannels: 3, window: Window(kernel: 1), weights: (0..<9).map { Float($0) / 16 })
        x = try b.qcfs(try b.add(x, y), levels: 2, threshold: 0.5)
        x = try b.avgPool2d(x, window: Window(kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
                                              paddingHeight: 1, paddingWidth: 0))
        x = try b.globalAvgPool(x)
        x = try b.flatten(x)
        _ = try b.linear(x, outputs: 2, weights: [1, -1, 0.5, 0.25, -0.5, 2], bias: [0.5, -0.5])
        return b.serialize()
    }

    func testRoundTripThroughTheCAPI() throws {
        let bytes = try smallModel()
        let model = CAPI.load(bytes)
        defer { gn_model_free(model) }
        var count = 0, neurons = 0
        XCTAssertEqual(gn_model_layer_count(model, &count), GN_STATUS_OK)
        XCTAssertEqual(gn_model_neuron_layer_count(model, &neurons), GN_STATUS_OK)
        XCTAssertEqual(count, 10)
        XCTAssertEqual(neurons, 2)
        var shape = gn_shape()
        XCTAssertEqual(gn_model_input_shape(model, &shape), GN_STATUS_OK)
        XCTAssertEqual([shape.channels, shape.height, shape.width], [2, 4, 4])
        XCTAssertEqual(gn_model_output_shape(model, &shape), GN_STATUS_OK)
        XCTAssertEqual([shape.channels, shape.height, shape.width], [2, 1, 1])

        var infos: [gn_layer_info] = []
        for index in 0..<count {
            var info = gn_layer_info()
            XCTAssertEqual(gn_model_layer(model, index, &info), GN_STATUS_OK)
            infos.append(info)
        }
        XCTAssertEqual(infos.map(\.kind.rawValue), [1, 8, 9, 1, 7, 9, 3, 5, 6, 2])
        XCTAssertEqual(infos.map(\.input_a), [0, 1, 2, 3, 3, 5, 6, 7, 8, 9])
        XCTAssertEqual(infos.map(\.input_b), [-1, -1, -1, -1, 4, -1, -1, -1, -1, -1])
        XCTAssertEqual(infos.map(\.has_bias), [1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(infos.map(\.neuron_index), [-1, -1, 0, -1, -1, 1, -1, -1, -1, -1])
        XCTAssertEqual(infos.map(\.levels), [0, 0, 4, 0, 0, 2, 0, 0, 0, 0])
        XCTAssertEqual(infos.map(\.threshold), [0, 0, 1, 0, 0, 0.5, 0, 0, 0, 0])
        let pool = infos[6]
        XCTAssertEqual([pool.kernel_height, pool.kernel_width, pool.stride_height, pool.stride_width,
                        pool.padding_height, pool.padding_width], [2, 2, 2, 2, 1, 0])
        XCTAssertEqual([pool.output.channels, pool.output.height, pool.output.width], [3, 3, 2])

        // Weights are read in place and equal what was written.
        let view = try loadModel(bytes).view
        let conv = view.layer(0)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: conv.weights, count: 54)), (0..<54).map { Float($0 % 7 - 3) / 8 })
        XCTAssertEqual(Array(UnsafeBufferPointer(start: conv.bias, count: 3)), [0.25, -0.125, 0.5])
        XCTAssertNil(view.layer(3).bias)
        // Serialising is deterministic.
        XCTAssertEqual(try smallModel(), bytes)
    }

    func testFileLoadEqualsBytesLoad() throws {
        let bytes = try smallModel()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gnruntime-\(UUID().uuidString).gnrt")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var fromFile: OpaquePointer?
        XCTAssertEqual(gn_model_load_file(url.path, GN_LOAD_DEFAULT, &fromFile), GN_STATUS_OK, CAPI.lastError)
        defer { gn_model_free(fromFile) }
        let fromBytes = CAPI.load(bytes)
        defer { gn_model_free(fromBytes) }
        let input = randomInput(count: 32, seed: 3, dyadic: false)
        let a = CAPI.session(fromFile, CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 3))
        let b = CAPI.session(fromBytes, CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 3))
        defer { gn_session_free(a); gn_session_free(b) }
        XCTAssertEqual(try CAPI.run(a, input, samples: 1, outputCount: 2).get(), try CAPI.run(b, input, samples: 1, outputCount: 2).get())

        var model: OpaquePointer?
        XCTAssertEqual(gn_model_load_file("/nonexistent/model.gnrt", GN_LOAD_DEFAULT, &model), GN_STATUS_IO_ERROR)
        XCTAssertTrue(CAPI.lastError.contains("cannot open"), CAPI.lastError)
        XCTAssertEqual(gn_model_load_file(FileManager.default.temporaryDirectory.path, GN_LOAD_DEFAULT, &model), GN_STATUS_IO_ERROR)
        XCTAssertTrue(CAPI.lastError.contains("not a regular file"), CAPI.lastError)
        XCTAssertEqual(gn_model_load_file(nil, GN_LOAD_DEFAULT, &model), GN_STATUS_NULL_POINTER)
        XCTAssertEqual(gn_model_load_file(url.path, 4, &model), GN_STATUS_INVALID_OPTION)
        XCTAssertTrue(CAPI.lastError.contains("unknown load flags"), CAPI.lastError)
        XCTAssertNil(model)
    }

    func testBorrowedBytesAreUsedInPlace() throws {
        let bytes = try smallModel()
        let buffer = AlignedBuffer(bytes)
        var model: OpaquePointer?
        XCTAssertEqual(gn_model_borrow_bytes(buffer.pointer, buffer.count, GN_LOAD_DEFAULT, &model), GN_STATUS_OK)
        defer { gn_model_free(model) }
        // The weights the model reads are the caller's bytes, not a copy.
        let handle = Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model!)).takeUnretainedValue()
        XCTAssertEqual(handle.view.base, UnsafeRawPointer(buffer.pointer))
        let weights = UnsafeRawPointer(handle.view.layer(0).weights!)
        XCTAssertTrue(weights >= UnsafeRawPointer(buffer.pointer) && weights < UnsafeRawPointer(buffer.pointer + buffer.count))
        XCTAssertEqual(Int(bitPattern: weights) % 64, 0, "weights must be 64-byte aligned")

        let misaligned = AlignedBuffer(count: bytes.count + 8)
        (misaligned.pointer + 8).copyMemory(from: buffer.pointer, byteCount: bytes.count)
        var other: OpaquePointer?
        XCTAssertEqual(gn_model_borrow_bytes(misaligned.pointer + 8, bytes.count, GN_LOAD_DEFAULT, &other), GN_STATUS_MISALIGNED)
        XCTAssertTrue(CAPI.lastError.contains("64-byte aligned"))
        // Copying accepts any alignment.
        XCTAssertEqual(gn_model_load_bytes(misaligned.pointer + 8, bytes.count, GN_LOAD_DEFAULT, &other), GN_STATUS_OK)
        gn_model_free(other)
    }

    func testBorrowedAndCopiedModelsComputeTheSame() throws {
        // A copied model has its weights packed for the tiled kernels; a borrowed one keeps the file's
        // layout. The results must not differ in a single bit.
        for bytes in [try RandomNetworks.vgg(seed: 3, dyadic: false), try RandomNetworks.resnet(seed: 4, dyadic: false),
                      try ReferenceNetworks.build(.init(architecture: .resnet20, weights: .kaiming(seed: 2))).serialize()] {
            let buffer = AlignedBuffer(bytes)
            let borrowed = try ModelHandle.borrowing(buffer.bytes, verifyChecksum: true)
            let copied = try loadModel(bytes)
            XCTAssertFalse(borrowed.view.weightsArePacked)
            XCTAssertTrue(copied.view.weightsArePacked)
            let input = randomInput(count: 7 * copied.view.inputShape.elementCount, seed: 1, dyadic: false)
            for sessionOptions in [options(.ann, batch: 7), options(.groupNeuron, tau: 3, T: 3, batch: 7)] {
                let a = try runModel(borrowed, sessionOptions, input: input)
                let b = try runModel(copied, sessionOptions, input: input)
                XCTAssertEqual(bitPatterns(a.output), bitPatterns(b.output))
                XCTAssertEqual(a.predictions, b.predictions)
            }
        }
    }

    func testFreeingTheModelBeforeItsSessionsIsSafe() throws {
        let model = CAPI.load(try smallModel())
        let session = CAPI.session(model, CAPI.options(GN_NEURON_IF, steps: 4))
        let input = randomInput(count: 32, seed: 4, dyadic: false)
        let before = try CAPI.run(session, input, samples: 1, outputCount: 2).get()
        gn_model_free(model)   // the session still holds the model
        // Churn the heap so that freed memory would be reused.
        let churn = (0..<64).map { _ in [UInt8](repeating: 0xAB, count: 4096) }
        XCTAssertEqual(churn.count, 64)
        XCTAssertEqual(try CAPI.run(session, input, samples: 1, outputCount: 2).get(), before)
        gn_session_free(session)
        gn_model_free(nil)
        gn_session_free(nil)
    }

    func testTruncatedAndForeignBytes() throws {
        let bytes = try smallModel()
        var model: OpaquePointer?
        for length in [0, 1, 63, 64, 100, bytes.count - 1] {
            let status = gn_model_load_bytes(bytes, length, GN_LOAD_DEFAULT, &model)
            XCTAssertEqual(status, GN_STATUS_BAD_MODEL, "length \(length): \(CAPI.lastError)")
        }
        XCTAssertTrue(CAPI.lastError.contains("file size field does not match"), CAPI.lastError)
        XCTAssertEqual(gn_model_load_bytes(nil, 10, GN_LOAD_DEFAULT, &model), GN_STATUS_NULL_POINTER)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47] + [UInt8](repeating: 0, count: 100)
        XCTAssertEqual(gn_model_load_bytes(png, png.count, GN_LOAD_DEFAULT, &model), GN_STATUS_BAD_MODEL)
        XCTAssertTrue(CAPI.lastError.contains("magic"))
        // A newer major version with a valid checksum is unsupported, not corrupt.
        var future = bytes
        future[4] = 2
        fixChecksum(&future)
        XCTAssertEqual(gn_model_load_bytes(future, future.count, GN_LOAD_DEFAULT, &model), GN_STATUS_UNSUPPORTED)
        XCTAssertTrue(CAPI.lastError.contains("expected 1, got 2"), CAPI.lastError)
        // A newer minor version loads.
        var minor = bytes
        minor[6] = 9
        fixChecksum(&minor)
        XCTAssertEqual(gn_model_load_bytes(minor, minor.count, GN_LOAD_DEFAULT, &model), GN_STATUS_OK)
        gn_model_free(model)
    }

    private func fixChecksum(_ bytes: inout [UInt8]) {
        let crc = bytes.withUnsafeBytes { CRC32.checksum($0, zeroingFourBytesAt: 12) }
        for i in 0..<4 { bytes[12 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }

    func testChecksumIsZlibCRC32() {
        // The check value of CRC-32/ISO-HDLC: crc32("123456789") = 0xCBF43926.
        let digits = Array("123456789".utf8)
        XCTAssertEqual(digits.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        // Slicing by 8 and the bytewise tail agree at every length and alignment.
        var random = SeededRandom(seed: 1)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 63, 200] {
                let slice = Array(data[start..<(start + length)])
                var reference: UInt32 = 0xFFFF_FFFF
                for byte in slice {
                    reference ^= UInt32(byte)
                    for _ in 0..<8 { reference = reference & 1 == 1 ? (reference >> 1) ^ 0xEDB8_8320 : reference >> 1 }
                }
                XCTAssertEqual(slice.withUnsafeBytes { CRC32.checksum($0) }, ~reference, "start \(start), length \(length)")
            }
        }
    }

    /// Every single-byte change of a small model file is rejected as a bad model.
    func testEverySingleByteChangeIsRejected() throws {
        let bytes = try smallModel()
        let buffer = AlignedBuffer(bytes)
        let raw = buffer.pointer.assumingMemoryBound(to: UInt8.self)
        var accepted = 0
        for position in 0..<bytes.count {
            let original = raw[position]
            for value in 0...255 where value != Int(original) {
                raw[position] = UInt8(value)
                do {
                    _ = try ModelView(validating: buffer.bytes)
                    accepted += 1
                } catch {
                    if error.status != .badModel {
                        XCTFail("byte \(position) = \(value): status \(error.status), expected bad model")
                    }
                }
            }
            raw[position] = original
        }
        XCTAssertEqual(accepted, 0, "changed models that loaded")
    }

    /// With the checksum skipped, the structural checks alone stand between a changed byte and the
    /// kernels: every change either is rejected as a bad model (or unsupported version), or loads to a
    /// model that plans and runs in every mode without crashing.
    func testStructuralValidationWithoutChecksum() throws {
        let bytes = try smallModel()
        let buffer = AlignedBuffer(bytes)
        let raw = buffer.pointer.assumingMemoryBound(to: UInt8.self)
        let structuralEnd = 64 + 10 * 64
        var loaded = 0, rejected = 0
        for position in 0..<bytes.count {
            let original = raw[position]
            // Every value in the header and table; in the blobs, a few (they are plain floats).
            let values: [UInt8] = position < structuralEnd ? (0...255).map(UInt8.init) : [0x00, 0x7F, 0x80, 0xFF]
            for value in values where value != original {
                raw[position] = value
                do {
                    let view = try ModelView(validating: buffer.bytes, verifyChecksum: false)
                    loaded += 1
                    try exercise(view)
                } catch let error as GNError {
                    XCTAssertTrue([.badModel, .unsupported].contains(error.status), "byte \(position) = \(value): \(error.status)")
                    rejected += 1
                }
            }
            raw[position] = original
        }
        XCTAssertGreaterThan(loaded, 0)
        XCTAssertGreaterThan(rejected, 0)
    }

    /// Plans and runs `view` in every mode whose arena is of a sane size.
    private func exercise(_ view: ModelView) throws {
        let input = [Float](repeating: 0.5, count: view.inputShape.elementCount)
        var output = [Float](repeating: 0, count: view.outputShape.elementCount)
        for neuron in [NeuronKind.ann, .groupNeuron, .integrateAndFire] {
            let sessionOptions = options(neuron, tau: 3, T: 2)
            let scratch = AlignedBuffer(count: Session.scratchBytes(for: view))
            guard let bytes = try? Session.arenaBytes(model: view, options: sessionOptions, scratch: scratch.mutableBytes),
                  bytes < 1 << 26 else { continue }
            let arena = AlignedBuffer(count: bytes)
            var session = try Session(model: view, options: sessionOptions, arena: arena.mutableBytes)
            try input.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in
                    try session.run(input: input, samples: 1, output: output)
                }
            }
        }
    }
}
