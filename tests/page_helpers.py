"""Reading pages as a user sees them: the text without name isolation, a field's errors."""

from __future__ import annotations

import re

from user_text import FSI, PDI


def text_of(response) -> str:
    """The page's text with name isolation (tags and FSI/PDI marks) taken out."""
    page = re.sub(r"</?bdi>", "", response.get_data(as_text=True))
    return page.replace(FSI, "").replace(PDI, "")


def errors_of(page: str, field: str) -> list[str]:
    """The errors shown under one form field."""
    found = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []
