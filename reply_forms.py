"""The forms of what techs write for users: answers (text, parts, files), notes, saved replies.

Beside forms.py (whose Form and length checks they use) so neither grows past one read.
"""

from __future__ import annotations

import re

from wtforms import BooleanField, MultipleFileField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms import Form, TelegramLength, strip
from message_models import PLACEHOLDERS
from models import ANSWER_PART

# An answer longer than one message is sent in numbered parts (at most about four).
MAX_ANSWER = 16_000

MAX_ANSWER_FILES = 5


class AnswerForm(Form):
    text = TextAreaField(
        "Answer",
        validators=[
            TelegramLength(
                MAX_ANSWER,
                message=f"At most {MAX_ANSWER:,} characters. An emoji counts as two; an answer "
                f"over {ANSWER_PART:,} is sent in numbered parts.",
            ),
        ],
    )
    files = MultipleFileField(
        "Attach files",
        description=f"Images, PDF, text or archives, up to {MAX_ANSWER_FILES}; each is sent to "
        "the user as a photo or a document after the text.",
    )
    note = BooleanField("Internal note: for the team, never sent to the user")
    submit = SubmitField("Send answer")

    def chosen_files(self) -> list:
        return [f for f in self.files.data or () if f and f.filename]

    def validate(self, extra_validators=None) -> bool:
        """Text, or files for an answer (a note is text only); the files' contents are checked
        by the view, which reads them."""
        if not super().validate(extra_validators):
            return False
        chosen = self.chosen_files()
        if not (self.text.data or "").strip() and (self.note.data or not chosen):
            self.text.errors.append("Write an answer first.")
            return False
        if self.note.data and chosen:
            self.files.errors.append("A note is text only: send files in an answer.")
            return False
        if len(chosen) > MAX_ANSWER_FILES:
            self.files.errors.append(f"At most {MAX_ANSWER_FILES} files in one answer.")
            return False
        return True


class SavedReplyForm(Form):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired(message="Give the reply a title."), Length(max=120)],
    )
    body = TextAreaField(
        "Reply",
        validators=[
            DataRequired(message="Write the reply."),
            TelegramLength(MAX_ANSWER, message=f"At most {MAX_ANSWER:,} characters."),
        ],
    )

    def validate_body(self, field: TextAreaField) -> None:
        unknown = sorted(set(re.findall(r"\{(\w*)\}", field.data or "")) - set(PLACEHOLDERS))
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise ValidationError(f"Not a placeholder: {names}. Use {known}.")
