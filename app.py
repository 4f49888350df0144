"""The dashboard: application factory and entry point (`python app.py`)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from desk import database  # noqa: F401  (registers the SQLite connection settings)
from desk.bootstrap import MIGRATIONS, prepare_database
from desk.config import load_dashboard_settings
from desk.extensions import csrf, db, login_manager, migrate
from desk.routing import DatabaseId
from envconfig import ConfigError, exit_on_config_error

log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the dashboard. `config` overrides settings (tests pass a fresh database here)."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    settings = load_dashboard_settings(dict(os.environ), app.instance_path)
    app.config.from_mapping(settings.flask_config())
    app.config.update(
        # hide_parameters: a failed statement is logged without its values (password hashes,
        # link codes, what users wrote).
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        MAX_CONTENT_LENGTH=1024 * 1024,  # the largest real body is a 4096-character ticket
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        WTF_CSRF_TIME_LIMIT=None,  # a tech may leave an answer half-written for hours
        TICKETS_PER_PAGE=25,
    )
    if config:
        app.config.update(config)

    if app.config["PROXY_COUNT"]:
        # Behind N reverse proxies: trust their X-Forwarded-For/-Proto/-Host, no more.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = DatabaseId  # before any route is added
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)

    from desk import (
        account_commands,
        api,
        api_cover,  # noqa: F401  (adds the cover routes to the api blueprint)
        api_messages,  # noqa: F401  (adds the edit and upload routes to the api blueprint)
        api_rating,  # noqa: F401  (adds the rating route to the api blueprint)
        attachment_pages,
        audit_pages,
        auth,
        backup,
        calendar_pages,
        demo,
        doorbell,  # noqa: F401  (its session listeners ring the bells on commit)
        errors,
        health,
        live_marks,
        oncall_hours,
        override_pages,
        overview,
        permissions,
        report_pages,
        rotation_pages,
        saved_reply_pages,
        schedule_pages,
        schedule_views,
        settings_pages,
        sla,
        ticket_pages,
        two_factor_pages,
        user_pages,
        web,
    )

    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(two_factor_pages.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(live_marks.bp)
    app.register_blueprint(ticket_pages.bp)
    app.register_blueprint(attachment_pages.bp)
    app.register_blueprint(schedule_views.bp)
    app.register_blueprint(schedule_pages.bp)
    app.register_blueprint(rotation_pages.bp)
    app.register_blueprint(override_pages.bp)
    app.register_blueprint(oncall_hours.bp)
    app.register_blueprint(user_pages.bp)
    app.register_blueprint(settings_pages.bp)
    app.register_blueprint(saved_reply_pages.bp)
    app.register_blueprint(audit_pages.bp)
    app.register_blueprint(report_pages.bp)
    app.register_blueprint(calendar_pages.bp)
    app.before_request(permissions.enforce_account_state)
    errors.init_app(app)
    web.init_app(app)
    app.add_template_global(sla.of, "sla_of")
    app.cli.add_command(demo.seed_demo)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(account_commands.unlock_command)
    app.cli.add_command(account_commands.set_password_command)
    app.cli.add_command(account_commands.reset_two_factor_command)

    if app.config.get("DESK_BOOTSTRAP", True):
        # Off only to write a migration against an empty database (README, "Development").
        with app.app_context():
            try:
                prepare_database()
            except Exception:
                # The app is not going to run: close its connections before the error leaves.
                db.session.remove()
                db.engine.dispose()
                raise
    return app


@login_manager.user_loader
def load_user(cookie_id: str):
    """The user of a session or remember-me cookie, while its server-side session lives."""
    from desk import sessions

    return sessions.load(cookie_id)


def main() -> None:
    load_dotenv()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic narrates every schema check; only its warnings matter at start-up.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app = create_app()
    except ConfigError as error:
        exit_on_config_error(error, "dashboard")
    host, port = app.config["HOST"], app.config["PORT"]
    log.info("Dashboard on http://%s:%s", host, port)
    if app.config["BOT_API_TOKEN_FILE"]:
        log.info(
            "BOT_API_TOKEN is not set: the API token is kept in %s; `python bot.py` started "
            "from this folder reads it, a bot elsewhere needs BOT_API_TOKEN set to its content",
            app.config["BOT_API_TOKEN_FILE"],
        )
    app.run(host=host, port=port)


if __name__ == "__main__":
    main()
