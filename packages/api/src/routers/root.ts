import { createCallerFactory, router } from "../trpc/init.ts";
import { deviceRouter } from "./device.ts";
import { enrollmentTokenRouter } from "./enrollment-token.ts";
import { userRouter } from "./user.ts";

export const appRouter = router({
  user: userRouter,
  device: deviceRouter,
  enrollmentToken: enrollmentTokenRouter,
});

export type AppRouter = typeof appRouter;

/** For tests and server-side calls: `createCaller(ctx).device.list()`. */
export const createCaller = createCallerFactory(appRouter);
