/** Who is calling: the service account behind a verified bearer token. */
export interface Principal {
  workspaceId: string;
  serviceAccountId: string;
  clientId: string;
  scopes: string[];
}
