/** The OpenAPI document's frame; every path in it comes from the route schemas. */
export function openApiDocument(publicUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wasl API',
      version: '0.1.0',
      description:
        'Customer conversations over WhatsApp and the phone. The `/v1` and `/v2` routes are wire-compatible with the ' +
        'Hatif (Voxa) service-account API: request names are case-insensitive, responses are camelCase, errors use the ' +
        'ABP envelope. Get a token from `POST /connect/token` (client credentials, scope `VoxaAPI`). ' +
        'The `/admin/v1` routes are for operators and take the admin token.',
    },
    servers: [{ url: publicUrl }],
    components: {
      securitySchemes: {
        bearer: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from POST /connect/token' },
        oauth2: {
          type: 'oauth2' as const,
          flows: { clientCredentials: { tokenUrl: '/connect/token', scopes: { VoxaAPI: 'Access Voxa API as a service account' } } },
        },
        adminToken: { type: 'http' as const, scheme: 'bearer', description: 'WASL_ADMIN_TOKEN' },
      },
    },
  };
}
