/// The appliance's version, recorded in backup manifests (behaviour §13.3).
public enum AppVersion {
    public static let current = "1.0.0"
}
