"""The one error of booklets/."""


class BookletError(ValueError):
    """No booklet can be made; the message is Dutch and says what to do."""
