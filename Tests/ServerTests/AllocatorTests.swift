import Foundation
import TSDBTestSupport
import Testing

/// The `tsql` executable allocates with jemalloc: every malloc and free of
/// the process, the Swift runtime's included, must bind to libjemalloc, not
/// to glibc (which it displaces only while the executable names it before libc).
@Suite("process allocator")
struct AllocatorTests {
    @Test func swiftRuntimeAllocatesWithJemalloc() async throws {
        guard let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs a built tsql (scripts/test.sh builds it)")
            return
        }
        let version = try await runProcess(tsql, ["--version"])
        #expect(version.status == 0)
        #expect(version.output.contains("allocator jemalloc 5."), "\(version.output)")

        // The dynamic linker's own account of where each reference to malloc went.
        let bindings = try await runProcess(tsql, ["--version"], environment: ["LD_DEBUG": "bindings"])
        let mallocLines = bindings.output.split(separator: "\n").filter { $0.hasSuffix("normal symbol `malloc' [GLIBC_2.2.5]") }
        let fromSwiftRuntime = mallocLines.filter { $0.contains("libswiftCore.so") }
        #expect(!fromSwiftRuntime.isEmpty, "no binding of malloc from libswiftCore in:\n\(mallocLines.joined(separator: "\n"))")
        for line in mallocLines {
            #expect(line.contains(" to ") && line.split(separator: " to ").last!.contains("libjemalloc.so"), "\(line)")
        }
    }
}
