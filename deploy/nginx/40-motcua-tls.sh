#!/bin/sh
# Run by the nginx image's entrypoint: serve TLS when the operator provided certificates.
set -eu
if [ -f /etc/nginx/certs/fullchain.pem ] && [ -f /etc/nginx/certs/privkey.pem ]; then
    cp /etc/nginx/motcua/https.conf /etc/nginx/conf.d/default.conf
    echo "motcua: TLS with /etc/nginx/certs"
else
    cp /etc/nginx/motcua/http.conf /etc/nginx/conf.d/default.conf
    echo "motcua: no certificates in /etc/nginx/certs, HTTP only"
fi
