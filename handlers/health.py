from aiohttp import web

from bot import keys


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 when it does not."""
    if await request.app[keys.DB].ping():
        return web.json_response({"status": "ok"})
    return web.json_response(
        {
            "status": "unavailable",
            "error": {"code": "database_down", "message": "The database is not answering."},
        },
        status=503,
    )
