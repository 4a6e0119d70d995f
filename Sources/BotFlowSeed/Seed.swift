/// Seed data shipped inside the binary: the 20 vertical templates (behaviour §9.6) and the marketplace catalogue
/// (behaviour §9.7), as JSON text.
public enum Seed {
    public static var templatesJSON: [UInt8] { PackageResources.templates_json }
    public static var marketplaceJSON: [UInt8] { PackageResources.marketplace_json }
}
