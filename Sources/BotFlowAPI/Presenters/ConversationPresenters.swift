import BotFlowCore
import BotFlowStorage

/// Wire shapes of api.md §2.7–§2.8.
extension Present {
    static func conversation(_ c: ConversationRecord) -> JSON {
        [
            "id": .string(c.id), "organization_id": .string(c.organizationId), "bot_id": .string(c.botId),
            "whatsapp_account_id": .string(c.whatsappAccountId), "customer_phone": .string(c.customerPhone),
            "customer_name": .string(c.customerName), "status": .string(c.status), "assigned_to": .string(c.assignedTo),
            "metadata": c.metadata, "started_at": .string(c.startedAt), "ended_at": .string(c.endedAt),
            "last_message_at": .string(c.lastMessageAt), "created_at": .string(c.createdAt), "updated_at": .string(c.updatedAt),
        ]
    }

    static func message(_ m: MessageRecord) -> JSON {
        [
            "id": .string(m.id), "conversation_id": .string(m.conversationId), "organization_id": .string(m.organizationId),
            "whatsapp_account_id": .string(m.whatsappAccountId), "direction": .string(m.direction),
            "message_type": .string(m.messageType), "content": .string(m.content), "media_url": .string(m.mediaURL),
            "status": .string(m.status), "sent_by": .string(m.sentBy), "sent_by_user_id": .string(m.sentByUserId),
            "in_reply_to": .string(m.inReplyTo), "provider_message_id": .string(m.providerMessageId),
            "bird_message_id": .string(m.providerMessageId), "response_time_ms": .int(m.responseTimeMs), "metadata": m.metadata,
            "created_at": .string(m.createdAt), "updated_at": .string(m.updatedAt),
        ]
    }
}
