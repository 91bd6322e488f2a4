/**
 * Domain paging: what services and repos take. Hatif's `SkipCount`/`MaxResultCount`/`Sorting`
 * are turned into this at the route (`http/paging.ts`) and go no further.
 */
export interface SortField {
  /** The API name (`CreationTime`). */
  field: string;
  /** The column it sorts (`creation_time`). */
  column: string;
  desc: boolean;
}

export interface PageRequest {
  skip: number;
  take: number;
  sort: SortField[];
}

export interface Page<T> {
  totalCount: number;
  items: T[];
}
