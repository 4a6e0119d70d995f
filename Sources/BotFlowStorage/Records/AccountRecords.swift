import BotFlowCore
import GRDB

/// Rows of the account tables as plain values. Repositories build them; the API layer turns them into wire JSON.

public struct UserRecord: Sendable {
    public var id: String
    public var email: String
    public var passwordHash: String
    public var fullName: String
    public var isAdmin: Bool
    public var lastLoginAt: String?
    public var createdAt: String
    public var updatedAt: String

    public init(row: Row) {
        id = row["id"]; email = row["email"]; passwordHash = row["password_hash"]; fullName = row["full_name"]
        isAdmin = row.bool("is_admin"); lastLoginAt = row["last_login_at"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

public struct OrganizationRecord: Sendable {
    public var id: String
    public var name: String
    public var slug: String
    public var plan: String
    public var subscriptionStatus: String
    public var subscriptionEndsAt: String?
    public var stripeCustomerId: String?
    public var stripeSubscriptionId: String?
    public var createdAt: String
    public var updatedAt: String
    /// Phone numbers of the organization's WhatsApp accounts, oldest first (computed, not stored).
    public var whatsappNumbers: [String] = []

    public init(row: Row) {
        id = row["id"]; name = row["name"]; slug = row["slug"]; plan = row["plan"]
        subscriptionStatus = row["subscription_status"]; subscriptionEndsAt = row["subscription_ends_at"]
        stripeCustomerId = row["stripe_customer_id"]; stripeSubscriptionId = row["stripe_subscription_id"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

public struct MembershipRecord: Sendable {
    public var id: String
    public var organizationId: String
    public var userId: String
    public var role: String

    public init(row: Row) {
        id = row["id"]; organizationId = row["organization_id"]; userId = row["user_id"]; role = row["role"]
    }
}

public struct WhatsAppAccountRecord: Sendable {
    public var id: String
    public var organizationId: String
    public var provider: String
    public var phoneNumber: String
    public var displayName: String?
    public var status: String
    public var birdChannelId: String?
    public var birdWorkspaceId: String?
    public var phoneNumberId: String?
    public var wabaId: String?
    public var twilioAccountSid: String?
    public var twilioPhoneNumberSid: String?
    /// The encrypted credential envelope; never serialised.
    public var credentialsEncrypted: String?
    public var credentialNames: [String]
    public var metadata: JSON
    public var createdAt: String
    public var updatedAt: String

    public init(row: Row) {
        id = row["id"]; organizationId = row["organization_id"]; provider = row["provider"]
        phoneNumber = row["phone_number"]; displayName = row["display_name"]; status = row["status"]
        birdChannelId = row["bird_channel_id"]; birdWorkspaceId = row["bird_workspace_id"]
        phoneNumberId = row["phone_number_id"]; wabaId = row["waba_id"]
        twilioAccountSid = row["twilio_account_sid"]; twilioPhoneNumberSid = row["twilio_phone_number_sid"]
        credentialsEncrypted = row["credentials_encrypted"]
        credentialNames = row.json("credential_names", fallback: []).arrayValue?.compactMap(\.stringValue) ?? []
        metadata = row.json("metadata", fallback: [:])
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}
