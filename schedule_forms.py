"""The forms of the rotation and override pages, beside `forms.py` (which holds the slot form
and the rest) so neither grows past what one can read."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

import rotations
from forms import NOBODY, WEEKDAYS, Form, active_user_choices, options, strip
from models import db
from schedule_models import Rotation
from user_text import visible

FIRST_YEAR, LAST_YEAR = 1970, 2200  # as the API's times: beyond them a typo is likelier


def plausible_year(form, field) -> None:
    """Refuse dates whose arithmetic (a zone's offset, the next day) would leave the calendar."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")


MEMBER_FIELDS = 8  # members a rotation form offers, in turn order
UNIT_LABELS = {
    rotations.ShiftUnit.HOURS: "hours",
    rotations.ShiftUnit.DAYS: "days",
    rotations.ShiftUnit.WEEKS: "weeks",
}


def _member(n: int) -> SelectField:
    return SelectField(f"Member {n}", coerce=int, default=NOBODY)


class MemberFields(Form):
    """Ordered member selects, gaps closed: the rotation's turn order."""

    member_1 = _member(1)
    member_2 = _member(2)
    member_3 = _member(3)
    member_4 = _member(4)
    member_5 = _member(5)
    member_6 = _member(6)
    member_7 = _member(7)
    member_8 = _member(8)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.member_fields:
            field.choices = active_user_choices("—")

    @property
    def member_fields(self) -> list[SelectField]:
        return [self[f"member_{n}"] for n in range(1, MEMBER_FIELDS + 1)]

    @property
    def member_ids(self) -> list[int]:
        return [f.data for f in self.member_fields if f.data not in (None, NOBODY)]

    def fill_members(self, user_ids: list[int]) -> None:
        for field, user_id in zip(self.member_fields, user_ids, strict=False):
            field.data = user_id

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        seen: set[int] = set()
        for field in self.member_fields:
            if field.data in (None, NOBODY):
                continue
            if field.data in seen:
                # Twice in one list gives that person two turns a cycle, rarely what one means.
                field.errors.append("This person is already an earlier member.")
                ok = False
            seen.add(field.data)
        if not seen:
            self.member_1.errors.append("A rotation needs at least one member.")
            ok = False
        return ok


class MembersForm(MemberFields):
    """A rotation's new member list, from the next handoff on."""


class RotationForm(MemberFields):
    """A new rotation: everything but the members is fixed once it exists."""

    name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired(message="Give the rotation a name."), Length(max=80)],
    )
    shift_count = IntegerField(
        "Shift length", validators=[InputRequired(message="Give a whole number.")]
    )
    shift_unit = SelectField(
        "Unit",
        choices=options((u.value, label) for u, label in UNIT_LABELS.items()),
        default=rotations.ShiftUnit.WEEKS.value,
    )
    handoff_weekday = SelectField("Handoff day", coerce=int, choices=options(enumerate(WEEKDAYS)))
    handoff_time = TimeField(
        "Handoff time", validators=[InputRequired(message="Give a handoff time (HH:MM).")]
    )
    start_date = DateField(
        "Start date",
        validators=[InputRequired(message="Give a start date (YYYY-MM-DD)."), plausible_year],
    )

    def validate_name(self, field: StringField) -> None:
        taken = db.session.scalar(
            sa.select(Rotation.id).where(sa.func.lower(Rotation.name) == field.data.lower())
        )
        if taken is not None:
            raise ValidationError("A rotation with this name exists already.")

    def validate_shift_count(self, field: IntegerField) -> None:
        try:
            rotations.ShiftLength(field.data, rotations.ShiftUnit(self.shift_unit.data))
        except ValueError as error:
            raise ValidationError(f"The {error}.") from None

    @property
    def shift(self) -> rotations.ShiftLength:
        return rotations.ShiftLength(
            self.shift_count.data, rotations.ShiftUnit(self.shift_unit.data)
        )


class OverrideKind(enum.StrEnum):
    """What an override does: stand in for someone, or add a person in a role."""

    REPLACES = "replaces"
    PRIMARY = "primary"
    BACKUP = "backup"


KIND_LABELS = {
    OverrideKind.REPLACES: "replaces someone (in whatever role they have then)",
    OverrideKind.PRIMARY: "is primary (the schedule's primary becomes a backup)",
    OverrideKind.BACKUP: "is a backup (after the schedule's people)",
}
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class OverrideForm(Form):
    """An override; `only` limits the person to one user (a tech putting themselves on call)."""

    person = SelectField("Who goes on call", coerce=int)
    kind = SelectField(
        "What they do", choices=options((k.value, label) for k, label in KIND_LABELS.items())
    )
    replaces = SelectField("Replacing", coerce=int, default=NOBODY)
    starts = DateTimeLocalField(
        "From",
        format=TIME_FORMAT,
        validators=[InputRequired(message="Give a start (date and time)."), plausible_year],
    )
    ends = DateTimeLocalField(
        "Until",
        format=TIME_FORMAT,
        validators=[InputRequired(message="Give an end (date and time)."), plausible_year],
    )
    note = StringField("Note", filters=[strip], validators=[Optional(), Length(max=200)])

    def __init__(self, *args, only=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.only = only
        if only is not None:
            self.person.choices = options([(only.id, visible(only.display_name))])
            # A tech puts themselves on call; standing in for a colleague goes through a cover
            # request, which that colleague makes.
            self.kind.choices = options(
                (k.value, label)
                for k, label in KIND_LABELS.items()
                if k is not OverrideKind.REPLACES
            )
        else:
            self.person.choices = active_user_choices()
        self.replaces.choices = active_user_choices("—")

    def validate_replaces(self, field: SelectField) -> None:
        if self.kind.data != OverrideKind.REPLACES:
            field.data = NOBODY
            return
        if field.data == NOBODY:
            raise ValidationError("Choose whom they replace.")
        if field.data == self.person.data:
            raise ValidationError("Someone cannot replace themselves.")

    def validate_ends(self, field: DateTimeLocalField) -> None:
        if self.starts.data is not None and field.data is not None:
            if field.data <= self.starts.data:
                raise ValidationError("The end must be after the start.")


MAX_PERIOD_DAYS = 366  # a year of on-call hours at most: pay runs by month or by year


class HoursForm(Form):
    """The period of the on-call hours page: a GET form, bookmarkable, so it carries no CSRF
    token."""

    class Meta:
        csrf = False

    start = DateField(
        "From", validators=[InputRequired(message="Give a start date."), plausible_year]
    )
    end = DateField(
        "To (inclusive)", validators=[InputRequired(message="Give an end date."), plausible_year]
    )

    def validate_end(self, field: DateField) -> None:
        if self.start.data is None or field.data is None:
            return
        if field.data < self.start.data:
            raise ValidationError("The end must not be before the start.")
        if (field.data - self.start.data).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(f"Choose at most {MAX_PERIOD_DAYS} days.")
