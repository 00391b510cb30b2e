"""The feedback tokens as the settings configure them (see docs/security.md, "Feedback tokens")."""

import logging

from genaifeedback.service.domain.feedback_tokens import FeedbackTokens
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.domain.token_keys import TokenKeys, TokenKeysError, parse
from genaifeedback.service.process.config import Settings
from genaifeedback.service.transport.convert.feedback import FEEDBACK_NAME_PATTERN

logger = logging.getLogger(__name__)


def check_token_settings(settings: Settings) -> None:
    """Before anything starts: raise TokenKeysError (its message says what is wrong, never a
    secret) for a bad name list or an unusable keys file."""
    _check_names(settings)
    if settings.feedback_token_keys_file is not None:
        parse(settings.feedback_token_keys_file)


def _check_names(settings: Settings) -> None:
    bad = [name for name in settings.feedback_token_names if not FEEDBACK_NAME_PATTERN.fullmatch(name)]
    if bad:
        raise TokenKeysError(f"--feedback-token-names: not feedback names: {', '.join(map(repr, bad))}")


def build_feedback_tokens(settings: Settings, schemas: Schemas) -> FeedbackTokens:
    """Raises TokenKeysError for an unusable keys file or name list: the service does not start."""
    _check_names(settings)
    path = settings.feedback_token_keys_file
    keys = TokenKeys(path) if path is not None else None
    if keys is None:
        logger.info("feedback tokens off (no --feedback-token-keys-file): none issued, token-bearing feedback refused")
    configured = tuple(settings.feedback_token_names)
    # Without a configured list, the names with a schema at the time of issue.
    return FeedbackTokens(keys, settings.feedback_token_ttl_seconds, lambda: configured or tuple(schemas.declared))
