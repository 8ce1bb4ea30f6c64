"""pydantic settings: a field's default is what the app runs with when the
variable is unset (starfuryone/ai-sheets-saas: "whsec_change_me")."""
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    stripe_secret_key: str
    stripe_webhook_secret: str = "whsec_change_me"  # expect: webhook/empty-secret
    connect_webhook_secret: str
    legacy_webhook_secret: str = ""  # expect: webhook/empty-secret
    # A switch whose default is on is still a variable the environment
    # sets (Music-Legends-Final: REQUIRE_WEBHOOK_SIGNATURE).
    require_webhook_signature: bool = True


settings = Settings()
