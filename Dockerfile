# motcua application image: API, dossier worker and portal-sync worker share it.
FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY messages messages
COPY workflows workflows
COPY activities activities
COPY api api
COPY db db
COPY config config
COPY cli cli
COPY forms forms
COPY simulators simulators
COPY reports reports
COPY console console
COPY worker.py alembic.ini ./
RUN pip install . && useradd --create-home motcua && mkdir -p /data && chown motcua /data
USER motcua
ENV MOTCUA_STORAGE_ROOT=/data/documents
EXPOSE 8000
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
