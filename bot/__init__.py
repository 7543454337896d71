"""The Dutch Rasa assistant: Rasa project files, custom actions and helpers to run it (see docs/bot.md)."""
