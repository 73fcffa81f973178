// Starts the local platform for the integration project (filled in by the platform issue).
export default async function setup(): Promise<void> {}
