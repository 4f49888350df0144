"""The dashboard's forms: one FlaskForm per form, validators next to the fields they check."""

from __future__ import annotations

import enum
import re

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from models import Priority, Status, User, db
from schedule_models import Rotation
from user_text import telegram_length, visible

# Room for the bot's header ("💬 Name · ticket #N") inside Telegram's 4096 characters.

try:
    from wtforms import SelectChoice
except ImportError:  # WTForms before 3.3 takes plain (value, label) pairs
    SelectChoice = None

MIN_PASSWORD = 8
BACKUP_SLOTS = 4  # backups a slot may list, in paging order
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.RESOLVED: "Resolved",
}
PRIORITY_LABELS = {p: p.value.capitalize() for p in Priority}
NOBODY = 0  # the "nobody" choice of a user select


def options(pairs) -> list:
    """Select choices from (value, label) pairs; WTForms 3.3 deprecates bare tuples."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(form, field) -> None:
    """Refuse what no database can store (NUL bytes, lone surrogates): the person who typed it
    can fix it, where a silent change would alter what they meant."""
    if isinstance(field.data, str) and UNSTORABLE.search(field.data):
        raise ValidationError("Remove the invisible control character (a NUL byte) from this text.")


class TelegramLength:
    """At most `limit` as Telegram counts a message: UTF-16 code units (WTForms' Length counts
    characters, and 2,000 emoji would pass it and then be refused by Telegram)."""

    def __init__(self, limit: int, message: str) -> None:
        self.limit = limit
        self.message = message

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and telegram_length(field.data) > self.limit:
            raise ValidationError(self.message)


class Form(FlaskForm):
    """Every form of the dashboard: each text field is checked for what cannot be stored."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField):  # TextArea and Password fields are StringFields
                field.validators = [*field.validators, storable]
            return field


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class EmptyForm(Form):
    """A button-only POST (take, resolve, logout): the form exists to carry the CSRF token."""

    submit = SubmitField("Submit")


class LoginForm(Form):
    username = StringField("Username", filters=[strip], validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Remember me on this device")
    submit = SubmitField("Log in")


def code_field(label: str = "Code") -> StringField:
    return StringField(
        label,
        filters=[strip],
        validators=[
            DataRequired(message="Type the code from your authenticator app."),
            Length(max=32, message="A code has 6 digits; a recovery code 10 letters and digits."),
        ],
    )


class TwoFactorLoginForm(Form):
    """The login's second step: a code from the app, or a recovery code."""

    code = code_field("Code from your authenticator app, or a recovery code")
    submit = SubmitField("Verify")


class TwoFactorConfirmForm(Form):
    code = code_field("The 6-digit code the app shows now")
    submit = SubmitField("Turn on two-factor")


class TwoFactorDisableForm(Form):
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    code = code_field("Code from your app, or a recovery code")
    submit = SubmitField("Turn off two-factor")


class PasswordCheckForm(Form):
    """An action that needs the password again (new recovery codes)."""

    password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Make new recovery codes")


def new_password_field(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=256, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
    )


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = new_password_field()
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")

    def validate_new_password(self, field: PasswordField) -> None:
        if field.data == self.current_password.data:
            raise ValidationError("Choose a password different from the current one.")


class StatusForm(Form):
    status = SelectField(
        "Status", choices=options((s.value, label) for s, label in STATUS_LABELS.items())
    )
    submit = SubmitField("Set status")


class PriorityForm(Form):
    priority = SelectField(
        "Priority", choices=options((p.value, label) for p, label in PRIORITY_LABELS.items())
    )
    submit = SubmitField("Set priority")


def active_user_choices(empty_label: str | None = None) -> list:
    """Active users for a select, by name; `empty_label` adds a "nobody" choice first.

    An option holds no markup, and each is a line of its own: names are only made visible.
    """
    users = db.session.scalars(
        sa.select(User).where(User.active.is_(True)).order_by(User.full_name, User.username)
    )
    choices = [(u.id, visible(u.display_name)) for u in users]
    return options([(NOBODY, empty_label), *choices] if empty_label else choices)


class AssignForm(Form):
    assignee = SelectField("Assignee", coerce=int, validate_choice=True)
    submit = SubmitField("Assign")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assignee.choices = active_user_choices("Nobody")


ROTATION_PREFIX = "r"  # a slot select's value for a rotation: "r5"; a person's is "5"


def assignee_value(user_id: int | None, rotation_id: int | None) -> str:
    """The select value of a slot's primary or backup (a person or a rotation)."""
    if rotation_id is not None:
        return f"{ROTATION_PREFIX}{rotation_id}"
    return str(user_id if user_id is not None else NOBODY)


def parse_assignee(value: str) -> tuple[int | None, int | None]:
    """(user id, rotation id) of a select value; (None, None) for "nobody"."""
    if value.startswith(ROTATION_PREFIX):
        return None, int(value[len(ROTATION_PREFIX) :])
    return (int(value) or None), None


def assignee_choices(empty_label: str | None = None) -> list:
    """Active people, then every rotation ("whoever's turn it is then"), for a slot's selects."""
    users = db.session.scalars(
        sa.select(User).where(User.active.is_(True)).order_by(User.full_name, User.username)
    )
    found = db.session.scalars(sa.select(Rotation).order_by(Rotation.name))
    choices = [(str(u.id), visible(u.display_name)) for u in users]
    choices += [(f"{ROTATION_PREFIX}{r.id}", f"Rotation: {visible(r.name)}") for r in found]
    return options([(str(NOBODY), empty_label), *choices] if empty_label else choices)


class SlotForm(Form):
    """A weekly slot; the primary and each backup is a person or a rotation."""

    weekday = SelectField("Day", coerce=int, choices=options(enumerate(WEEKDAYS)))
    start = TimeField("Start", validators=[InputRequired(message="Give a start time (HH:MM).")])
    end = TimeField("End", validators=[InputRequired(message="Give an end time (HH:MM).")])
    primary = SelectField("Primary")
    backup_1 = SelectField("Backup 1", default=str(NOBODY))
    backup_2 = SelectField("Backup 2", default=str(NOBODY))
    backup_3 = SelectField("Backup 3", default=str(NOBODY))
    backup_4 = SelectField("Backup 4", default=str(NOBODY))
    submit = SubmitField("Save slot")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.primary.choices = assignee_choices()
        for field in self.backup_fields:
            field.choices = assignee_choices("—")

    @property
    def backup_fields(self) -> list[SelectField]:
        return [self[f"backup_{n}"] for n in range(1, BACKUP_SLOTS + 1)]

    @property
    def primary_assignee(self) -> tuple[int | None, int | None]:
        return parse_assignee(self.primary.data)

    @property
    def backup_assignees(self) -> list[tuple[int | None, int | None]]:
        """The chosen backups in order, gaps closed: (user id, rotation id) each."""
        return [parse_assignee(f.data) for f in self.backup_fields if f.data != str(NOBODY)]

    def fill_backups(self, values: list[str]) -> None:
        for field, value in zip(self.backup_fields, values, strict=False):
            field.data = value

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        ok = True
        seen: set[str] = set()
        for field in self.backup_fields:
            if field.data == str(NOBODY):
                continue
            if field.data == self.primary.data:
                field.errors.append("The primary cannot also be a backup of the same slot.")
                ok = False
            elif field.data in seen:
                what = "rotation" if field.data.startswith(ROTATION_PREFIX) else "person"
                field.errors.append(f"This {what} is already an earlier backup.")
                ok = False
            seen.add(field.data)
        return ok


USERNAME_RULE = Regexp(
    r"^[A-Za-z0-9_.-]+\Z", message="Use letters, digits, dot, dash and underscore only."
)


class UserForm(Form):
    """Create a user (with a first password) or edit one (`editing` = the user being edited)."""

    username = StringField(
        "Username",
        filters=[strip],
        validators=[DataRequired(), Length(max=64), USERNAME_RULE],
    )
    full_name = StringField("Full name", validators=[Optional(), Length(max=120)])
    is_admin = BooleanField("Administrator")
    password = PasswordField(
        "First password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=256, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
    )
    must_change_password = BooleanField("Must choose a new password at first login", default=True)
    submit = SubmitField("Save user")

    def __init__(self, *args, editing: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            # Passwords and the admin flag have their own actions on an existing user.
            del self.password
            del self.must_change_password
            del self.is_admin

    def validate_username(self, field: StringField) -> None:
        query = sa.select(User.id).where(sa.func.lower(User.username) == field.data.lower())
        if self.editing is not None:
            query = query.where(User.id != self.editing.id)
        if db.session.scalar(query) is not None:
            raise ValidationError("This username is taken.")


class ResetPasswordForm(Form):
    password = new_password_field("Temporary password")
    submit = SubmitField("Reset password")


def setting_field(setting) -> IntegerField | BooleanField:
    if setting.switch:
        return BooleanField(setting.label, description=setting.help)
    return IntegerField(
        setting.label,
        description=setting.help,
        validators=[
            InputRequired(message="Give a whole number."),
            NumberRange(
                min=setting.minimum,
                max=setting.maximum,
                message=f"Must be between {setting.minimum} and {setting.maximum}.",
            ),
        ],
    )


def settings_form_class(settings) -> type[FlaskForm]:
    """A form with one whole-number field per run-time setting, named by its key."""
    fields = {key: setting_field(s) for key, s in settings.items()}
    fields["submit"] = SubmitField("Save settings")
    return type("SettingsForm", (Form,), fields)


ANY = "all"


UNRESOLVED = "unresolved"  # the ticket list's status filter: open or in progress


class TicketSort(enum.StrEnum):
    """The ticket list's orders (desk/queue_order.py writes them in SQL)."""

    QUEUE = "queue"
    DUE = "due"
    PRIORITY = "priority"
    OLDEST = "oldest"
    NEWEST = "newest"
    ACTIVITY = "activity"


SORT_LABELS = {
    TicketSort.QUEUE: "Most pressing first",
    TicketSort.DUE: "SLA due soonest",
    TicketSort.PRIORITY: "Priority",
    TicketSort.OLDEST: "Oldest first",
    TicketSort.NEWEST: "Newest first",
    TicketSort.ACTIVITY: "Last activity",
}


class TicketFilterForm(Form):
    """The ticket list's filters: a GET form, bookmarkable, so it carries no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=options(
            [
                (ANY, "All"),
                (UNRESOLVED, "Unresolved"),
                *((s.value, label) for s, label in STATUS_LABELS.items()),
            ]
        ),
        default=ANY,
    )
    priority = SelectField(
        "Priority",
        choices=options(
            [(ANY, "Any priority"), *((p.value, label) for p, label in PRIORITY_LABELS.items())]
        ),
        default=ANY,
    )
    assignee = SelectField("Assignee", default=ANY)
    q = StringField("Search", validators=[Optional(), Length(max=200)])
    sender = StringField("Sender", validators=[Optional(), Length(max=200)])
    created_from = DateField("Created from", validators=[Optional()])
    created_to = DateField("Created to", validators=[Optional()])
    sort = SelectField(
        "Sort",
        choices=options((s.value, label) for s, label in SORT_LABELS.items()),
        default=TicketSort.QUEUE.value,
    )

    TEXTS = ("q", "sender")
    DATES = ("created_from", "created_to")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        users = db.session.scalars(sa.select(User).order_by(User.full_name, User.username))
        self.assignee.choices = options(
            [
                (ANY, "Anyone"),
                ("me", "Me"),
                ("none", "Unassigned"),
                *((str(u.id), visible(u.display_name)) for u in users),
            ]
        )

    def default_status(self) -> str:
        """My tickets are the unresolved ones unless a status is chosen; others show all."""
        return UNRESOLVED if self.assignee.data == "me" else ANY

    def validate_created_to(self, field) -> None:
        start = self.created_from.data
        if start and field.data and field.data < start:
            raise ValidationError("Created to is before created from.")

    def clean(self) -> list[str]:
        """Forgive a mangled URL: each invalid filter falls back to its default instead of
        failing; a date that is not one is dropped too, and named in the messages returned."""
        messages: list[str] = []
        if not self.validate():
            for name, errors in list(self.errors.items()):
                if name in self.DATES:
                    label = self[name].label.text
                    if self[name].data is None and any(self[name].raw_data or []):
                        messages.append(f"{label}: not a date; use YYYY-MM-DD.")
                    else:
                        messages.extend(errors)
                    self[name].data = None
                elif name not in self.TEXTS:
                    self[name].data = self[name].default
        for name in self.TEXTS:
            self[name].data = UNSTORABLE.sub("", self[name].data or "")[:200]
        if not self.status.raw_data:
            self.status.data = self.default_status()
        return messages


REPORT_RANGES = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "From-to"),
]
MAX_REPORT_DAYS = 366


class ReportPeriodForm(Form):
    """The reports' period: a GET form, bookmarkable."""

    class Meta:
        csrf = False

    range = SelectField("Period", choices=options(REPORT_RANGES), default="30")
    start = DateField("From", validators=[Optional()])
    end = DateField("To (inclusive)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Checked here, not in validate_start/end: an empty Optional() date stops those.
        valid = super().validate(extra_validators)
        if self.range.data != "custom":
            return valid
        first, last = self.start.data, self.end.data
        problems = []
        if first is None and not self.start.errors:
            problems.append((self.start, "Give the first day."))
        if last is None and not self.end.errors:
            problems.append((self.end, "Give the last day."))
        if first and last and last < first:
            problems.append((self.end, "The last day must not come before the first."))
        elif first and last and (last - first).days >= MAX_REPORT_DAYS:
            problems.append((self.end, f"At most {MAX_REPORT_DAYS} days at a time."))
        for field, message in problems:
            field.errors = [*field.errors, message]
        return valid and not problems


class AuditFilterForm(Form):
    """The audit log's filters: a GET form, bookmarkable, like the ticket list's."""

    class Meta:
        csrf = False

    action = SelectField("Action", default=ANY)
    actor = StringField("Who", filters=[strip], validators=[Optional(), Length(max=64)])
    text = StringField("What", filters=[strip], validators=[Optional(), Length(max=200)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])

    def __init__(self, *args, labels: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        actions = [(action.value, label) for action, label in labels.items()]
        self.action.choices = options([(ANY, "Any action"), *actions])

    def clean(self) -> None:
        """Forgive a mangled URL: each invalid filter is dropped instead of failing."""
        if self.validate():
            return
        for name in list(self.errors):
            self[name].data = self[name].default if name == "action" else None


# ------------------------------------------------------------ on call: reminders, cover, feeds

REMINDER_CHOICES = [("off", "Off"), ("5", "5 minutes"), ("10", "10 minutes"), ("15", "15 minutes")]
REMINDER_CHOICES += [("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours")]


class ReminderForm(FlaskForm):
    """How long before a shift the bot reminds the user, or not at all."""

    minutes = SelectField("Remind me before a shift", choices=options(REMINDER_CHOICES))

    def reminder_minutes(self) -> int | None:
        return None if self.minutes.data == "off" else int(self.minutes.data)
