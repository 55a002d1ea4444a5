import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A value crossing to or from PostgreSQL: the four column types nasctl's schema uses.
enum SQLValue: Sendable, Equatable {
    case int(Int)
    case double(Double)
    case text(String)
    case null

    var int: Int? { if case let .int(v) = self { return v }; return nil }
    var double: Double? {
        switch self {
        case let .double(v): return v
        case let .int(v): return Double(v)
        default: return nil
        }
    }
    var text: String? { if case let .text(v) = self { return v }; return nil }
}

extension Optional where Wrapped == Int { var sql: SQLValue { map(SQLValue.int) ?? .null } }
extension Optional where Wrapped == Double { var sql: SQLValue { map(SQLValue.double) ?? .null } }
extension Optional where Wrapped == String { var sql: SQLValue { map(SQLValue.text) ?? .null } }

/// Where a PostgreSQL study lives: `postgresql://user[:password]@host[:port]/database?study=NAME`
/// (`postgres://` too).
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var study: String

    /// Parses a URL; every problem says what the URL must look like.
    public init(parsing text: String) throws {
        let form = "postgresql://USER@HOST[:PORT]/DATABASE?study=NAME"
        guard let url = URLComponents(string: text), ["postgresql", "postgres"].contains(url.scheme ?? "") else {
            throw SearchError.study(text, "not a PostgreSQL URL; expected \(form)")
        }
        guard let host = url.host, !host.isEmpty else { throw SearchError.study(text, "the URL names no host; expected \(form)") }
        guard let user = url.user, !user.isEmpty else { throw SearchError.study(text, "the URL names no user; expected \(form)") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw SearchError.study(text, "the URL names no database; expected \(form)") }
        guard let study = url.queryItems?.first(where: { $0.name == "study" })?.value, !study.isEmpty else {
            throw SearchError.study(text, "the URL names no study; add ?study=NAME (\(form))")
        }
        guard study.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw SearchError.study(text, "study name '\(study)' must be letters, digits, '-' and '_'")
        }
        if let other = url.queryItems?.first(where: { $0.name != "study" }) {
            throw SearchError.study(text, "unknown URL parameter '\(other.name)'; the only one is study=NAME")
        }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw SearchError.study(text, "port \(port) is not a TCP port") }
        self.user = user; self.password = url.password; self.host = host; self.port = port; self.database = database; self.study = study
    }

    /// The URL without the password.
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)?study=\(study)" }
}

/// One connection to a PostgreSQL server, used synchronously: each call runs on the
/// connection's NIO event loop and the calling thread waits for its future (the event loop is
/// NIO's own thread, so a caller on Swift's cooperative pool cannot starve it). Calls are serialised, so a `transaction` is never interleaved
/// with another thread's statements. A connection that has dropped (a server restart, a network
/// loss) is opened again with back-off on the next call, up to `reconnectSeconds`.
final class PostgresSession: @unchecked Sendable {
    let address: PostgresAddress
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let logger = Logger(label: "nasctl.postgres")
    let reconnectSeconds: Double

    init(_ address: PostgresAddress, reconnectSeconds: Double = 30) throws {
        self.address = address
        self.reconnectSeconds = reconnectSeconds
        lock.lock(); defer { lock.unlock() }
        _ = try connected()
    }

    deinit {
        // A connection must be closed before it is freed.
        if let connection { let closing: EventLoopFuture<Void> = connection.close(); _ = try? closing.wait() }
    }

    /// Runs `sql` with `$1…` bound to `binds`; the rows, each as its columns' values.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue] = []) throws -> [[SQLValue]] {
        lock.lock(); defer { lock.unlock() }
        return try retrying { try self.run(sql, binds, on: $0) }
    }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws) on this session alone.
    /// A connection lost inside is not retried: the transaction's effect is unknown to it, so
    /// the error goes to the caller.
    func transaction<T>(_ body: (_ query: (String, [SQLValue]) throws -> [[SQLValue]]) throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        let c = try retrying { $0 }
        _ = try run("BEGIN", [], on: c)
        do {
            let result = try body { sql, binds in try self.run(sql, binds, on: c) }
            _ = try run("COMMIT", [], on: c)
            return result
        } catch {
            _ = try? run("ROLLBACK", [], on: c)
            throw error
        }
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        if let connection { let closing: EventLoopFuture<Void> = connection.close(); _ = try? closing.wait() }
        connection = nil
    }

    /// The open connection, opening one if needed (the caller holds the lock).
    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        var configuration = PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user,
                                                             password: address.password, database: address.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let name = "nasctl pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
        configuration.options.additionalStartupParameters = [("application_name", String(name.prefix(60)))]
        do {
            let c = try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration,
                                                   id: 1, logger: logger).wait()
            connection = c
            return c
        } catch {
            let refused = (error as? PSQLError)?.code == .connectionError
            throw SearchError.study(address.description, "cannot connect to PostgreSQL: \(Self.describe(error))"
                + (refused ? "; is a server running at \(address.host):\(address.port) and accepting TCP connections?" : ""))
        }
    }

    /// `body` on a connection; a dropped connection is reopened with back-off (0.1 s doubling to
    /// 2 s) until `reconnectSeconds` have passed.
    private func retrying<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(reconnectSeconds)
        var pause = 0.1
        while true {
            do {
                return try body(try connected())
            } catch {
                let lost = connection.map { $0.isClosed } ?? true
                guard lost, Date() < deadline else { throw error }
                if let closed = connection { let closing: EventLoopFuture<Void> = closed.close(); _ = try? closing.wait() }
                connection = nil
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 2)
            }
        }
    }

    private func run(_ sql: String, _ binds: [SQLValue], on connection: PostgresConnection) throws -> [[SQLValue]] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case let .int(v): bindings.append(Int64(v))
            case let .double(v): bindings.append(v)
            case let .text(v): bindings.append(v)
            case .null: bindings.appendNull()
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        do {
            let result: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
            return try result.wait().rows.map { row in try row.map(Self.value) }
        } catch let error as SearchError {
            throw error
        } catch {
            throw SearchError.study(address.description, "PostgreSQL: \(Self.describe(error)) (in: \(sql.prefix(80)))")
        }
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(Int(try cell.decode(Int64.self)))
        case .float4, .float8, .numeric: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// The server's message for a server error, else the error's description.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message + (e.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "") }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        return "\(error)"
    }

}
