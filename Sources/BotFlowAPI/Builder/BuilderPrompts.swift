import BotFlowCore

/// System prompts of the builder's LLM operations (behaviour §8.7). Every operation asks for one JSON object.
enum BuilderPrompts {
    static var library: String { BuilderValidation.nodeTypes.joined(separator: ", ") }

    static var analyze: String {
        """
        You turn a business owner's description of a WhatsApp chatbot into a structured intent. Answer with one JSON \
        object: {"trigger":{"type":"keyword"|"any_message"|"webhook"|"schedule","description":string,"suggested_node":string,\
        "config_hints":object},"steps":[{"action":string,"description":string,"suggested_node":string,"config_hints":object}],\
        "conditions":[{"condition":string,"true_path":string,"false_path":string}],"integrations":[{"service":string,\
        "purpose":string}],"variables":[string]}. Node types: \(library). A step's description is what the bot does or says.
        """
    }

    static var generate: String {
        """
        You design WhatsApp chatbot workflows. From the intent you are given, answer with one JSON object \
        {"blueprint":{"name":string,"description":string,"nodes":[{"id":string,"type":string,"config":object}],\
        "edges":[{"id":string,"source":string,"target":string,"sourceHandle"?:string}],"variables":{}},"suggestions":[string]}. \
        Node types: \(library). Start with a whatsapp_trigger; use {{customer.phone}} as the recipient of replies; \
        if_condition branches use sourceHandle "true"/"false".
        """
    }

    static var conversation: String {
        """
        You help a business owner design a WhatsApp chatbot by asking short questions, one at a time, about what should \
        start the flow, what the bot asks and answers, the decisions it makes and the systems it uses. When you know \
        enough, say that you have everything and are generating the workflow. Answer with one JSON object {"response":string}.
        """
    }

    static var optimize: String {
        """
        You review WhatsApp chatbot workflow blueprints (node types: \(library)) and suggest concrete improvements: \
        missing error handling, unclear messages, unreachable or dead-end nodes, simpler structure. Answer with one JSON \
        object {"suggestions":[string]}.
        """
    }
}
