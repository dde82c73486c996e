"""Flask extensions, created once here and bound to the app in :func:`mda.create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()
# async_mode is chosen explicitly: installing gevent would otherwise change it silently.
socketio = SocketIO(async_mode="threading")
api_spec = SpecTree(
    "flask",
    title="MDA++ API",
    version="1",
    path="api/v1/spec",  # spectree skips routes under its own path; /api/v1/openapi.json is ours
    filename="openapi.json",
    mode="strict",
    page_templates={},  # no Swagger/Redoc pages: they load scripts from a CDN
    annotations=True,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer",
                                    description="Persoonlijk API-token (mda_...)"),
        ),
        SecurityScheme(
            name="session",
            data=SecuritySchemeData(type=SecureType.API_KEY, field_in="cookie", name="mda_session",
                                    description="Sessiecookie; schrijvende verzoeken vragen "
                                    "de header X-CSRFToken"),
        ),
    ],
    security=[{"bearer": []}, {"session": []}],
)
