/// Errors from reading the device identity.
public enum DeviceError: Error, CustomStringConvertible {
    case cpuinfoUnavailable

    public var description: String {
        switch self {
        case .cpuinfoUnavailable:
            return "cpuinfo could not read this CPU (is /proc/cpuinfo and /sys/devices/system/cpu readable?)"
        }
    }
}
