import BotFlowCore
import BotFlowStorage

/// Wire shapes of api.md §2.1–§2.3. Secrets never leave through here: only credential *names* are listed.
enum Present {
    static func user(_ u: UserRecord) -> JSON {
        ["id": .string(u.id), "email": .string(u.email), "fullName": .string(u.fullName)]
    }

    static func organization(_ o: OrganizationRecord) -> JSON {
        [
            "id": .string(o.id), "name": .string(o.name), "slug": .string(o.slug), "plan": .string(o.plan),
            "whatsapp_numbers": .strings(o.whatsappNumbers), "subscription_status": .string(o.subscriptionStatus),
            "subscription_ends_at": .string(o.subscriptionEndsAt), "stripe_customer_id": .string(o.stripeCustomerId),
            "stripe_subscription_id": .string(o.stripeSubscriptionId), "created_at": .string(o.createdAt),
            "updated_at": .string(o.updatedAt),
        ]
    }

    static func whatsappAccount(_ a: WhatsAppAccountRecord, publicBaseURL: String) -> JSON {
        [
            "id": .string(a.id), "organization_id": .string(a.organizationId), "provider": .string(a.provider),
            "phone_number": .string(a.phoneNumber), "display_name": .string(a.displayName), "status": .string(a.status),
            "bird_channel_id": .string(a.birdChannelId), "bird_workspace_id": .string(a.birdWorkspaceId),
            "phone_number_id": .string(a.phoneNumberId), "waba_id": .string(a.wabaId),
            "twilio_account_sid": .string(a.twilioAccountSid), "twilio_phone_number_sid": .string(a.twilioPhoneNumberSid),
            "credentials_set": .strings(a.credentialNames),
            "webhook_url": .string("\(publicBaseURL)/webhooks/\(a.provider)/whatsapp"), "metadata": a.metadata,
            "created_at": .string(a.createdAt), "updated_at": .string(a.updatedAt),
        ]
    }
}
