# API schemas: examples document the format of a value in the published
# OpenAPI spec; the defaults are values the code uses.
from pydantic import BaseModel, Field
from typing import Annotated

EndpointSecret = Annotated[
    str,
    Field(
        description="The secret used to sign the webhook events.",
        examples=["whsec_FAKEFAKEFAKE00000000000201"],  # expect: codekeys/hardcoded-webhook-secret  # severity: low
    ),
]


class Endpoint(BaseModel):
    url: str = Field(example="https://example.com/hooks")
    secret: str = Field(example="whsec_FAKEFAKEFAKE00000000000202")  # expect: codekeys/hardcoded-webhook-secret  # severity: low
    # Twin: a default is what an endpoint created without a secret gets.
    fallback: str = Field(default="whsec_FAKEFAKEFAKE00000000000203")  # expect: codekeys/hardcoded-webhook-secret  # severity: high


class Settings(BaseModel):
    # Twin: "example" in a comment before the value is not a schema example.
    # example
    webhook_secret: str = "whsec_FAKEFAKEFAKE00000000000204"  # expect: codekeys/hardcoded-webhook-secret  # severity: high
