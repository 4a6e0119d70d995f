import BotFlowCore
import BotFlowDomain
import Testing

/// api.md §1.15: which keys are secret, the 12-character threshold, the last four characters.
@Suite struct CredentialMaskingTests {
    @Test func secretKeysAreMaskedCaseInsensitively() {
        for key in ["secret_key", "API_KEY", "accessToken", "password", "Authorization", "accountSid", "consumer_secret", "Auth"] {
            #expect(CredentialMasking.isSecretKey(key), "\(key)")
        }
        for key in ["store_url", "username", "phoneNumber", "base_id", "account", "site_url"] {
            #expect(!CredentialMasking.isSecretKey(key), "\(key)")
        }
    }

    @Test func twelveCharactersShowTheLastFour() {
        #expect(CredentialMasking.mask("abcdefghijkl") == "****ijkl")
        #expect(CredentialMasking.mask("abcdefghijk") == "****")
        #expect(CredentialMasking.mask("") == "****")
        // Unicode scalars, not UTF-16 units or bytes.
        #expect(CredentialMasking.mask("ééééééééééé😀") == "****ééé😀")
        #expect(CredentialMasking.mask("éééééééééé😀") == "****")
    }

    @Test func objectsKeepKeysOrderAndNonSecretValues() {
        let masked = CredentialMasking.mask([
            "store_url": "https://shop.example.com", "api_key": "shpat_0123456789", "token_count": 3, "password": "short",
            "oauth": ["access_token": "ya29.a0AfH6SMBxyz1234", "scope": "sheets"], "tokens": ["a", "b"],
        ])
        #expect(masked == [
            "store_url": "https://shop.example.com", "api_key": "****6789", "token_count": 3, "password": "****",
            "oauth": ["access_token": "ya29.a0AfH6SMBxyz1234", "scope": "sheets"], "tokens": ["a", "b"],
        ])
    }
}
