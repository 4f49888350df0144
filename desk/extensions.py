"""Extension objects, bound to the app in the factory with `init_app`."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

import message_models  # noqa: F401  (files and edited texts join the metadata)
import schedule_models  # noqa: F401  (rotations, overrides and cover requests join the metadata)
from models import Base, db

__all__ = ["Base", "csrf", "db", "login_manager", "migrate"]

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
csrf = CSRFProtect()
migrate = Migrate()
