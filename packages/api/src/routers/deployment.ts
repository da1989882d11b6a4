import { router } from "../trpc/init.ts";

export const deploymentRouter = router({});
