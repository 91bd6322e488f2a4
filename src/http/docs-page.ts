import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

/**
 * The docs page at `/docs`: Swagger UI in Wasl's colours, served entirely by this server (the
 * bundle from @fastify/swagger-ui, the logo, icon and style below), with no validator badge and
 * nothing fetched from elsewhere. Authorize → oauth2 takes a client id and secret and gets the
 * token from `/connect/token` itself, with the `VoxaAPI` scope ticked.
 */

const TEAL = '#0f766e';

const RINGS = (stroke: string, width: number, [a, b, r]: [number, number, number], cy: number) =>
  `<g fill="none" stroke="${stroke}" stroke-width="${width}"><circle cx="${a}" cy="${cy}" r="${r}"/><circle cx="${b}" cy="${cy}" r="${r}"/></g>`;

/** Two linked rings — وصل, "connection" — and the name. */
export const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 132 40" width="132" height="40" role="img" aria-label="Wasl">' +
  RINGS('#5eead4', 3.5, [14, 27, 9], 20) +
  '<text x="46" y="28" font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif" font-size="24" font-weight="700" fill="#ffffff">Wasl</text>' +
  '</svg>';

export const FAVICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="${TEAL}"/>` +
  RINGS('#ffffff', 3, [12, 20, 6], 16) +
  '</svg>';

const CSS = `
.swagger-ui .topbar { background-color: ${TEAL}; padding: 6px 0; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .info .title small.version-stamp { background-color: ${TEAL}; }
.swagger-ui .btn.authorize { color: ${TEAL}; border-color: ${TEAL}; }
.swagger-ui .btn.authorize svg { fill: ${TEAL}; }
`;

export function docsPage(): FastifySwaggerUiOptions {
  return {
    routePrefix: '/docs',
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG) },
    theme: {
      title: 'Wasl API',
      css: [{ filename: 'wasl.css', content: CSS }],
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(FAVICON_SVG) }],
    },
    uiConfig: { deepLinking: true, docExpansion: 'list', displayOperationId: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
    initOAuth: { appName: 'Wasl API docs', scopes: ['VoxaAPI'] },
    // No badge from the public validator: the page makes no request but to this server.
    validatorUrl: false,
  };
}
