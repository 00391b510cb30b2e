"""The token source the settings choose (--generator): the demo model, an OpenAI-compatible endpoint, or a callable."""

from genaifeedback.service.domain.generators import (
    CallableGenerator,
    DemoGenerator,
    Generator,
    OpenAICompatibleGenerator,
)
from genaifeedback.service.process.config import Settings


def build_generator(settings: Settings) -> Generator:
    if settings.generator == "openai":
        return OpenAICompatibleGenerator(
            settings.openai_base_url,
            settings.openai_model,
            settings.openai_api_key.get_secret_value(),
            settings.openai_timeout_seconds,
        )
    if settings.generator == "callable":
        return CallableGenerator(settings.callable)
    return DemoGenerator(settings.demo_response_tokens, settings.demo_token_delay_ms / 1000.0)
