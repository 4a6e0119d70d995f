/// The text of a demo knowledge article: an FAQ made of the bot's own intents and example questions, long enough to
/// give the chunker several chunks.
enum KnowledgeText {
    static func faq(businessName: String, script: BotScript, part: Int, source: inout SeededSource) -> String {
        var lines = ["\(businessName) — frequently asked questions (part \(part + 1))", ""]
        lines.append("About us. \(script.welcome) We are a local business and answer WhatsApp messages every day.")
        lines.append("")
        for intent in script.intents {
            lines.append("Q: \(intent.questions.first ?? intent.name)?")
            lines.append("A: \(intent.response)")
            lines.append("")
        }
        for prompt in script.examplePrompts {
            lines.append("Q: \(prompt)")
            lines.append("A: Yes, we can help with that. Send us the details here and a team member confirms within the hour.")
            lines.append("")
        }
        let policies = [
            "Payments: we accept card, EFT and cash. Proof of payment can be sent as a photo in this chat.",
            "Cancellations: tell us at least 24 hours ahead and there is no charge; later cancellations may carry a fee.",
            "Opening hours: Monday to Friday 08:00–17:00, Saturday 08:00–13:00, closed on Sundays and public holidays.",
            "Privacy: we keep your number only to answer your questions and never share it with third parties.",
            "Complaints: reply AGENT at any time and a person from our team takes over the conversation.",
            "Load shedding: during outages we answer from our mobile phones, so replies may take a little longer.",
        ]
        for _ in 0..<12 { lines.append(source.pick(policies)) }
        return lines.joined(separator: "\n")
    }
}
