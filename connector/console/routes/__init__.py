"""One module per page (or group of pages), each with `router: APIRouter`; `create_app`
includes them all. Templates are named after their module (`console/<module>.html`)."""
